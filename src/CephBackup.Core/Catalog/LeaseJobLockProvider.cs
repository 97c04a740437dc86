namespace CephBackup.Core.Catalog;

/// <summary>
/// Job locks as leases in <c>cephbackup_leases</c> (kind 'job', one row per job): the same code on one
/// MariaDB/MySQL server, on Galera and on Group Replication, where GET_LOCK is node-local or not replicated.
/// A killed holder blocks the job until its lease expires (<c>Catalog:LeaseSeconds</c>, default 120 s),
/// not until a connection dies.
/// </summary>
public sealed class LeaseJobLockProvider(string connectionString, int leaseSeconds = LeaseRules.DefaultLeaseSeconds, TimeProvider? time = null)
    : IJobLockProvider
{
    /// <summary>Catalog:LeaseSeconds when unset.</summary>
    public const int DefaultLeaseSeconds = 120;

    private readonly LeaseStore _store = new(connectionString, leaseSeconds);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int LeaseSeconds => leaseSeconds;

    public async Task<IJobLock?> TryAcquireAsync(int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct)
    {
        var key = LeaseRules.JobKey(jobId);
        var token = NewToken();
        var r = await _store.TakeAsync("job", [key], new LeaseWant(LeaseMode.Exclusive, null, false),
            new LeaseOwner(host, pid, startedUtc), token, ct);
        if (r.HeldBy is not null) return null;
        return new Lease(
            async c => await _store.RenewAsync("job", [key], token, c) == 1,
            () => _store.ReleaseAsync("job", [key], token, CancellationToken.None),
            leaseSeconds, _time);
    }

    /// <summary>
    /// Joins the workers' run of the job (<c>exec --worker</c>): workers of one run share the job row, a plain
    /// exec (exclusive) and workers exclude each other. Null when the job is held otherwise.
    /// </summary>
    public async Task<IJobLock?> TryJoinRunAsync(int jobId, string runId, string host, int pid, DateTime startedUtc, CancellationToken ct)
    {
        var key = LeaseRules.JobKey(jobId);
        var r = await _store.TakeAsync("job", [key], new LeaseWant(LeaseMode.Worker, runId, false),
            new LeaseOwner(host, pid, startedUtc), NewToken(), ct);
        if (r.HeldBy is not null) return null;
        return new Lease(
            async c => await _store.RenewRunAsync(key, runId, c) == 1,
            () => _store.LeaveRunAsync(key, runId, CancellationToken.None),
            leaseSeconds, _time);
    }

    public async Task<LockHolder?> GetHolderAsync(int jobId, CancellationToken ct)
    {
        var row = await _store.ReadLiveAsync("job", LeaseRules.JobKey(jobId), ct);
        if (row is null) return null;
        var host = row.Mode == LeaseMode.Worker ? $"{row.Host} (exec --worker, {row.Holders} worker(s) in run {row.RunId})" : row.Host;
        return new LockHolder(host, row.Pid, row.StartedAt);
    }

    internal static string NewToken() => Guid.NewGuid().ToString("N");
}
