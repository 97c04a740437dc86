using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>
/// Per-job MySQL named locks (<c>GET_LOCK('cephbackup.job.&lt;id&gt;.&lt;database hash&gt;', 0)</c>). The server releases a named
/// lock when its connection ends, so a crashed or killed run never blocks the job, unlike the PHP
/// tool's lastrun &gt; lastcompletion check. The holder's host/pid/start are recorded for messages only.
/// </summary>
public sealed class MySqlJobLockProvider(string connectionString, TimeProvider? time = null) : IJobLockProvider
{
    /// <summary>Keeps the idle lock connection from being dropped by server or NAT timeouts during long runs.</summary>
    internal static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly string _database = new MySqlConnectionStringBuilder(connectionString).Database;

    /// <summary>
    /// The server drops a connection idle this long, and with it the lock: a host that died without closing
    /// its socket (power loss) blocks the job for at most this long. The pinger keeps a live holder busy.
    /// </summary>
    internal static readonly TimeSpan DeadHolderTimeout = TimeSpan.FromSeconds(180);

    public async Task<IJobLock?> TryAcquireAsync(int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct)
    {
        try { return await AcquireAsync(jobId, host, pid, startedUtc, ct); }
        catch (Exception e) when (CatalogErrors.IsDriverError(e)) { throw CatalogErrors.Wrap(e); }
    }

    private async Task<IJobLock?> AcquireAsync(int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct)
    {
        var name = CatalogRules.JobLockName(_database, jobId);
        // Dedicated and non-pooled: a pooled connection keeps the lock after Close() until it is reused.
        var conn = new MySqlConnection(CatalogConnection.Dedicated(connectionString));
        try
        {
            await conn.OpenAsync(ct);
            // Bounded, so a dead host's lock ends by itself (see DeadHolderTimeout); pings keep ours alive.
            await conn.ExecuteAsync(new CommandDefinition("SET SESSION wait_timeout = @s",
                SqlArgs.Of(new { s = (int)DeadHolderTimeout.TotalSeconds }), cancellationToken: ct));
            var got = await conn.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT GET_LOCK(@name, 0)", SqlArgs.Of(new { name }), cancellationToken: ct));
            if (got is null) throw new CephBackupException(ExitCode.DatabaseError, $"GET_LOCK('{name}') failed on the server");
            if (got == 0)
            {
                await conn.DisposeAsync();
                return null;
            }
            await RecordHolderAsync(conn, jobId, host, pid, startedUtc, ct);
            return new MySqlJobLock(conn, name, jobId, _time, PingInterval);
        }
        catch
        {
            // Closing the non-pooled connection releases the lock if it had been granted.
            await conn.DisposeAsync();
            throw;
        }
    }

    private static Task RecordHolderAsync(MySqlConnection conn, int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct) =>
        conn.ExecuteAsync(new CommandDefinition("""
            INSERT INTO cephbackup_job_locks (job_id, host, pid, started_at, connection_id)
            VALUES (@jobId, @host, @pid, @startedUtc, CONNECTION_ID())
            ON DUPLICATE KEY UPDATE host = VALUES(host), pid = VALUES(pid), started_at = VALUES(started_at),
                connection_id = VALUES(connection_id)
            """, SqlArgs.Of(new { jobId, host, pid, startedUtc }), cancellationToken: ct));

    public async Task<LockHolder?> GetHolderAsync(int jobId, CancellationToken ct)
    {
        try { return await HolderAsync(jobId, ct); }
        catch (Exception e) when (CatalogErrors.IsDriverError(e)) { throw CatalogErrors.Wrap(e); }
    }

    private async Task<LockHolder?> HolderAsync(int jobId, CancellationToken ct)
    {
        await using var conn = new MySqlConnection(CatalogConnection.Normalize(connectionString));
        await conn.OpenAsync(ct);
        var holderConnection = await conn.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT IS_USED_LOCK(@name)", SqlArgs.Of(new { name = CatalogRules.JobLockName(_database, jobId) }), cancellationToken: ct));
        if (holderConnection is null) return null;

        var row = await conn.QuerySingleOrDefaultAsync<HolderRow>(new CommandDefinition(
            "SELECT host AS Host, pid AS Pid, started_at AS StartedAt, connection_id AS ConnectionId FROM cephbackup_job_locks WHERE job_id = @jobId",
            SqlArgs.Of(new { jobId }), cancellationToken: ct));
        // The row is left over from an earlier holder, or the current one has not written it yet
        // (GET_LOCK and the row insert are two statements): the lock is held, by whom is unknown.
        if (row is null || row.ConnectionId != holderConnection)
            return new LockHolder($"unknown (MySQL connection {holderConnection})", 0, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc));
        return new LockHolder(row.Host ?? "unknown", row.Pid ?? 0, row.StartedAt ?? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc));
    }

    private sealed class HolderRow
    {
        public string? Host { get; init; }
        public int? Pid { get; init; }
        public DateTime? StartedAt { get; init; }
        public long? ConnectionId { get; init; }
    }
}
