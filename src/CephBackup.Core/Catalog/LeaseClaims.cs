namespace CephBackup.Core.Catalog;

/// <summary>
/// Image claims for <c>exec --worker</c>: several hosts run the same job at once and split its images. A claim
/// is a lease row per image (kind 'image'); an image done in the run stays done for that run.
/// </summary>
public interface IImageClaims
{
    /// <summary>Joins (or opens) the job's run as a worker; null when a plain exec or another day's run holds the job.</summary>
    Task<IJobLock?> JoinRunAsync(int jobId, string runId, DateTime startedUtc, CancellationToken ct);

    /// <summary>
    /// Claims the images (pool/image refs) of one unit, all or none: a VM's disks are snapshotted together, so
    /// they are claimed together. Images already done in <paramref name="runId"/> are left out of the claim.
    /// </summary>
    Task<ClaimOutcome> TryClaimAsync(int jobId, IReadOnlyList<string> imageRefs, string runId, CancellationToken ct);
}

/// <summary>
/// <see cref="Claim"/> is null when nothing is left to do here: every image was done in this run
/// (<see cref="AlreadyDone"/>), or another worker holds one of them (<see cref="HeldBy"/>).
/// </summary>
public sealed record ClaimOutcome(IImageClaim? Claim, IReadOnlyList<string> AlreadyDone, LockHolder? HeldBy);

public interface IImageClaim : IAsyncDisposable
{
    /// <summary>The images this claim holds (those of the request not done yet in the run).</summary>
    IReadOnlyList<string> Images { get; }
    /// <summary>The fencing check: renews the claim, true only while every open image is still ours and unexpired.</summary>
    Task<bool> StillHeldAsync(CancellationToken ct);
    /// <summary>Records that the image is backed up in this run: no worker redoes it in the same run.</summary>
    Task MarkDoneAsync(string imageRef, CancellationToken ct);
}

public sealed class LeaseImageClaims(string connectionString, string host, int pid,
    int leaseSeconds = LeaseRules.DefaultLeaseSeconds, TimeProvider? time = null) : IImageClaims
{
    private readonly LeaseStore _store = new(connectionString, leaseSeconds);
    private readonly LeaseJobLockProvider _jobs = new(connectionString, leaseSeconds, time);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<IJobLock?> JoinRunAsync(int jobId, string runId, DateTime startedUtc, CancellationToken ct) =>
        _jobs.TryJoinRunAsync(jobId, runId, host, pid, startedUtc, ct);

    public async Task<ClaimOutcome> TryClaimAsync(int jobId, IReadOnlyList<string> imageRefs, string runId, CancellationToken ct)
    {
        var keys = imageRefs.Select(r => LeaseRules.ImageKey(jobId, r)).Distinct().ToList();
        var token = LeaseJobLockProvider.NewToken();
        var r = await _store.TakeAsync("image", keys, new LeaseWant(LeaseMode.Exclusive, runId, true),
            new LeaseOwner(host, pid, _time.GetUtcNow().UtcDateTime), token, ct);
        var done = r.Done.Select(k => RefOf(jobId, k)).ToList();
        if (r.HeldBy is { } h) return new ClaimOutcome(null, done, new LockHolder(h.Host, h.Pid, h.StartedAt));
        if (r.Taken.Count == 0) return new ClaimOutcome(null, done, null);
        return new ClaimOutcome(new Claim(_store, jobId, r.Taken, token, leaseSeconds, _time), done, null);
    }

    private static string RefOf(int jobId, string key) => key[(LeaseRules.JobKey(jobId).Length + 1)..];

    private sealed class Claim : IImageClaim
    {
        private readonly LeaseStore _store;
        private readonly int _jobId;
        private readonly string _token;
        private readonly List<string> _open;
        private readonly Lease _lease;
        private readonly Lock _gate = new();

        public Claim(LeaseStore store, int jobId, IReadOnlyList<string> keys, string token, int leaseSeconds, TimeProvider time)
        {
            (_store, _jobId, _token, _open) = (store, jobId, token, keys.ToList());
            Images = keys.Select(k => RefOf(jobId, k)).ToList();
            _lease = new Lease(RenewAsync, () => _store.ReleaseAsync("image", OpenKeys(), _token, CancellationToken.None), leaseSeconds, time);
        }

        public IReadOnlyList<string> Images { get; }

        private List<string> OpenKeys() { lock (_gate) return _open.ToList(); }

        private async Task<bool> RenewAsync(CancellationToken ct)
        {
            var open = OpenKeys();
            // Every image done: nothing left to protect, and nothing another worker could take from us.
            if (open.Count == 0) return true;
            return await _store.RenewAsync("image", open, _token, ct) == open.Count;
        }

        public Task<bool> StillHeldAsync(CancellationToken ct) => _lease.StillHeldAsync(ct);

        public async Task MarkDoneAsync(string imageRef, CancellationToken ct)
        {
            var key = LeaseRules.ImageKey(_jobId, imageRef);
            if (await _store.MarkDoneAsync(key, _token, ct) != 1)
                throw new CephBackupException(ExitCode.DatabaseError, $"image claim of {imageRef} was taken over by another worker before it was marked done");
            lock (_gate) _open.Remove(key);
        }

        public ValueTask DisposeAsync() => _lease.DisposeAsync();
    }
}
