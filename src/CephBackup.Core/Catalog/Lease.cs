using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>
/// A held lease (job lease or image claim): renewed in the background every third of its duration, checked by
/// <see cref="StillHeldAsync"/> (the fencing check), released on dispose. A holder that dies simply stops
/// renewing: the row expires after LeaseSeconds by the database's clock and the next taker takes it over.
/// </summary>
internal sealed class Lease : IJobLock
{
    private readonly Func<CancellationToken, Task<bool>> _renew;
    private readonly Func<Task> _release;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _renewer;
    private int _renewals;
    private int _lost;
    private int _disposed;

    public Lease(Func<CancellationToken, Task<bool>> renew, Func<Task> release, int leaseSeconds, TimeProvider time)
    {
        _renew = renew;
        _release = release;
        _timer = new PeriodicTimer(LeaseRules.RenewEvery(leaseSeconds), time);
        _renewer = Task.Run(() => RenewLoopAsync(_stop.Token));
    }

    /// <summary>Successful background renewals so far (observable by tests).</summary>
    internal int Renewals => Volatile.Read(ref _renewals);

    /// <summary>The token that stops the renewal loop (observable by tests; read it before disposing).</summary>
    internal CancellationToken StopToken => _stop.Token;

    /// <summary>True once the row was seen to belong to somebody else (or expired): it never comes back.</summary>
    internal bool Lost => Volatile.Read(ref _lost) != 0;

    private async Task RenewLoopAsync(CancellationToken stop)
    {
        try
        {
            // Not the stop token: disposing the timer is what ends the wait (it answers false). The loop starts
            // on the thread pool and may first run after DisposeAsync; a cancelled token would then throw.
            while (await _timer.WaitForNextTickAsync(CancellationToken.None))
            {
                try
                {
                    if (await _renew(stop)) Interlocked.Increment(ref _renewals);
                    else Volatile.Write(ref _lost, 1);
                }
                catch (Exception e) when (e is MySqlException or CephBackupException or InvalidOperationException or IOException or TimeoutException)
                {
                    // Database unreachable for now: the lease stays valid until its expiry, the next tick tries
                    // again, and the fencing check refuses to go on while we cannot prove the lease.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The fencing check: renews the lease and says whether it is still ours. A write, not a read, so that on a
    /// cluster it is certified against a takeover committed on another node instead of trusting a stale local view.
    /// </summary>
    public async Task<bool> StillHeldAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _disposed) != 0 || Lost) return false;
        try
        {
            if (await _renew(ct)) return true;
            Volatile.Write(ref _lost, 1);
            return false;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Cannot prove we hold it, which is what callers must act on.
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Disposing the timer ends a loop that waits for its tick without an exception (every run ends here, and a
        // first exception costs a cold process tens of milliseconds); the token stops a renewal in flight.
        _timer.Dispose();
        _stop.Cancel();
        await _renewer;
        _stop.Dispose();
        try { await _release(); }
        catch (Exception e) when (e is MySqlException or CephBackupException or InvalidOperationException or IOException or TimeoutException)
        {
            // Database gone: the row expires by itself after LeaseSeconds.
        }
    }
}
