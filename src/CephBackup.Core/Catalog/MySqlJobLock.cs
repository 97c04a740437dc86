using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>A held job lock: owns the dedicated connection the lock lives on.</summary>
internal sealed class MySqlJobLock : IJobLock
{
    private readonly MySqlConnection _conn;
    private readonly string _name;
    private readonly int _jobId;
    // A MySqlConnection allows one command at a time; the pinger and callers take turns.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _pinger;
    private int _pings;
    private int _disposed;

    public MySqlJobLock(MySqlConnection conn, string name, int jobId, TimeProvider time, TimeSpan pingInterval)
    {
        _conn = conn;
        _name = name;
        _jobId = jobId;
        _timer = new PeriodicTimer(pingInterval, time);
        _pinger = Task.Run(() => PingLoopAsync(_stop.Token));
    }

    /// <summary>Successful keep-alive pings so far (observable by tests).</summary>
    internal int Pings => Volatile.Read(ref _pings);

    private async Task PingLoopAsync(CancellationToken stop)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(stop))
            {
                await _gate.WaitAsync(stop);
                try
                {
                    await _conn.ExecuteAsync("DO 1");
                    Interlocked.Increment(ref _pings);
                }
                catch (Exception e) when (e is MySqlException or InvalidOperationException or IOException)
                {
                    // The connection is gone and the lock with it; StillHeldAsync reports that to the run.
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async Task<bool> StillHeldAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _disposed) != 0) return false;
        await _gate.WaitAsync(ct);
        try
        {
            var held = await _conn.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT IS_USED_LOCK(@name) = CONNECTION_ID()", SqlArgs.Of(new { name = _name }), cancellationToken: ct));
            return held == 1;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Any failure means we cannot prove we hold it, which is what callers must act on.
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        await _pinger;
        _timer.Dispose();
        await _gate.WaitAsync();
        try
        {
            // The row filter keeps a later holder's row intact if our connection was lost meanwhile.
            await _conn.ExecuteAsync(new CommandDefinition(
                "DELETE FROM cephbackup_job_locks WHERE job_id = @jobId AND connection_id = CONNECTION_ID(); DO RELEASE_LOCK(@name)",
                SqlArgs.Of(new { jobId = _jobId, name = _name })));
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException or IOException)
        {
            // Connection already dead: the server released the lock when it ended.
        }
        finally
        {
            await _conn.DisposeAsync();
            _gate.Release();
            _stop.Dispose();
        }
    }
}
