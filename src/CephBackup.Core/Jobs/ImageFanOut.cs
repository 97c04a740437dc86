using System.Collections.Concurrent;
using CephBackup.Core.Catalog;
using CephBackup.Core.Reporting;

namespace CephBackup.Core.Jobs;

/// <summary>
/// Runs a job's image units: VMs independently (at most <c>parallel</c> at once), each VM's disks planned,
/// then snapshotted back to back, then exported, with at most <c>parallel</c> exports in flight across the
/// job. Results come back in the job's image order, so the report of a parallel run reads like a sequential one.
/// </summary>
internal sealed class ImageFanOut(BackupDeps deps, JobSettings job, string defaultPool, IJobLock fence, int parallel)
{
    private int _lockLost;

    public List<string> Warnings { get; } = [];
    public bool LockLost => Volatile.Read(ref _lockLost) != 0;

    public async Task<IReadOnlyList<ImageReport>> RunAsync(IReadOnlyList<JobImage> links, CancellationToken ct)
    {
        var units = links.Select(l => new ImageBackup(job, l, defaultPool, deps, fence)).ToList();
        var results = new ConcurrentDictionary<ImageBackup, ImageReport>();
        using var exportSlots = new SemaphoreSlim(parallel);
        var vms = units.GroupBy(u => u.Link.Vm ?? "").Select(g => g.ToList()).ToList();
        // The body never throws: every unit ends with a report, so one VM cannot cancel the others.
        await Parallel.ForEachAsync(vms, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (disks, _) =>
        {
            if (ct.IsCancellationRequested)
            {
                foreach (var u in disks) results[u] = u.Report(ImageResult.Failed, "cancelled (SIGINT/SIGTERM) before it started");
                return;
            }
            if (!await StillHeldAsync(ct))
            {
                if (Interlocked.Exchange(ref _lockLost, 1) == 0)
                    lock (Warnings) Warnings.Add("lost the job lock (database connection dropped): stopped before the remaining images");
                return;
            }
            foreach (var (u, r) in await BackupVmAsync(disks, exportSlots, ct)) results[u] = r;
        });
        return units.Where(results.ContainsKey).Select(u => results[u]).ToList();
    }

    private async Task<List<(ImageBackup, ImageReport)>> BackupVmAsync(List<ImageBackup> disks, SemaphoreSlim exportSlots, CancellationToken ct)
    {
        var done = new List<(ImageBackup, ImageReport)>();
        // Planning and base checks happen before the first snapshot, so the snapshots follow each other closely.
        var prepared = new List<ImageBackup>();
        foreach (var u in disks)
        {
            if (await u.PrepareAsync(ct)) prepared.Add(u);
            else done.Add((u, u.Ended!));
        }
        var snapped = new List<ImageBackup>();
        foreach (var u in prepared)
        {
            if (await u.SnapshotAsync(ct)) snapped.Add(u);
            else done.Add((u, u.Ended!));
        }
        var exports = snapped.Select(async u =>
        {
            await exportSlots.WaitAsync(CancellationToken.None);
            try { return (u, await u.ExportAsync(ct)); }
            finally { exportSlots.Release(); }
        });
        done.AddRange(await Task.WhenAll(exports));
        return done;
    }

    private async Task<bool> StillHeldAsync(CancellationToken ct)
    {
        try { return await fence.StillHeldAsync(ct); }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException) { return false; }
    }
}

/// <summary>The fence of a dry run: it holds nothing and never writes, so every check passes.</summary>
internal sealed class NoFence : IJobLock
{
    public static readonly NoFence Instance = new();
    public Task<bool> StillHeldAsync(CancellationToken ct) => Task.FromResult(true);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
