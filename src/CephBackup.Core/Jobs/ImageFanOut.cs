using System.Collections.Concurrent;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Reporting;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>
/// Runs a job's image units: VMs independently (at most <c>parallel</c> + 1 at once), each VM's disks planned,
/// then snapshotted back to back, then exported, with at most <c>parallel</c> exports in flight across the
/// job (<see cref="ExportSlots"/>). Results come back in the job's image order, so the report of a parallel
/// run reads like a sequential one. As an <c>exec --worker</c>, only the VMs this worker claims are backed up.
/// </summary>
internal sealed class ImageFanOut(BackupDeps deps, JobSettings job, string defaultPool, IJobLock fence, int parallel, WorkerClaims? worker = null)
{
    private int _lockLost;
    private int _elsewhere;

    public List<string> Warnings { get; } = [];
    public bool LockLost => Volatile.Read(ref _lockLost) != 0;
    /// <summary>Images left to other workers (done or claimed there).</summary>
    public int Elsewhere => Volatile.Read(ref _elsewhere);

    public async Task<IReadOnlyList<ImageReport>> RunAsync(IReadOnlyList<JobImage> links, CancellationToken ct)
    {
        var order = links.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var results = new ConcurrentDictionary<int, ImageReport>();
        var vms = links.GroupBy(l => l.Vm ?? "").Select((g, i) => (Disks: g.ToList(), Index: i)).ToList();
        using var exportSlots = new ExportSlots(parallel, vms.Count, ordered: parallel == 1);
        // One VM more than there are export slots: it plans and snapshots while the others export, then waits
        // for a slot. Without it every VM's plan and snapshot (~1 s, mostly the monitor's snap-id round trip)
        // left the slots idle. Only one: a snapshot taken far ahead of its export is held longer than needed.
        // The body never throws: every unit ends with a report, so one VM cannot cancel the others.
        await Parallel.ForEachAsync(vms, new ParallelOptions { MaxDegreeOfParallelism = parallel + 1 }, async (vm, _) =>
        {
            try { await BackupVmAsync(vm.Disks, vm.Index, exportSlots, order, results, ct); }
            finally { exportSlots.Ended(vm.Index); }
        });
        return results.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
    }

    private async Task BackupVmAsync(List<JobImage> disks, int vm, ExportSlots exportSlots, Dictionary<JobImage, int> order,
        ConcurrentDictionary<int, ImageReport> results, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            foreach (var d in disks) results[order[d]] = Unit(d, fence).Report(ImageResult.Failed, "cancelled (SIGINT/SIGTERM) before it started");
            return;
        }
        if (!await StillHeldAsync(ct))
        {
            if (Interlocked.Exchange(ref _lockLost, 1) == 0)
                lock (Warnings) Warnings.Add("lost the job lock (database connection dropped): stopped before the remaining images");
            return;
        }
        if (worker is null)
        {
            foreach (var (u, r) in await BackupDisksAsync(disks.Select(d => Unit(d, fence)).ToList(), vm, exportSlots, null, ct)) results[order[u.Link]] = r;
            return;
        }
        var (claim, mine) = await worker.ClaimAsync(job.Id, disks, KeyOf, ct);
        Interlocked.Add(ref _elsewhere, disks.Count - mine.Count);
        if (claim is null) return;
        await using (claim)
        {
            var both = new BothHeld(fence, claim);
            foreach (var (u, r) in await BackupDisksAsync(mine.Select(d => Unit(d, both)).ToList(), vm, exportSlots, claim, ct)) results[order[u.Link]] = r;
        }
    }

    private ImageBackup Unit(JobImage link, IJobLock unitFence) => new(job, link, defaultPool, deps, unitFence);

    private async Task<List<(ImageBackup, ImageReport)>> BackupDisksAsync(List<ImageBackup> disks, int vm, ExportSlots exportSlots, IImageClaim? claim, CancellationToken ct)
    {
        var done = new List<(ImageBackup, ImageReport)>();
        // Planning and base checks happen before the first snapshot, so the snapshots follow each other closely.
        var prepared = new List<ImageBackup>();
        foreach (var u in disks)
        {
            if (await u.PrepareAsync(ct)) prepared.Add(u);
            else done.Add((u, u.Ended!));
        }
        var (snapped, capture) = await SnapshotInWindowAsync(prepared, done, ct);
        var slots = await exportSlots.JoinAsync(vm, snapped.Count);
        var exports = snapped.Select(async (u, k) =>
        {
            await slots[k];
            ImageReport r;
            try { r = await u.ExportAsync(ct, capture); }
            finally { exportSlots.Release(); }
            if (claim is not null && r.Result == ImageResult.Success) await worker!.MarkDoneAsync(claim, KeyOf(u.Link), u.Link);
            return (u, r);
        });
        done.AddRange(await Task.WhenAll(exports));
        return done;
    }

    private string KeyOf(JobImage disk)
    {
        try { return disk.Image is null ? $"link:{disk.LinkId}" : ImageRef.Parse(disk.Image, defaultPool).ToString(); }
        catch (CephBackupException) { return $"link:{disk.LinkId}"; }
    }

    /// <summary>
    /// The VM's snapshots inside its consistency window (pre-hook → freeze … thaw → post-hook, issue #14): the
    /// window is closed whatever happens, before the definition is fetched and before any export.
    /// </summary>
    private async Task<(List<ImageBackup>, VmCapture?)> SnapshotInWindowAsync(List<ImageBackup> prepared, List<(ImageBackup, ImageReport)> done, CancellationToken ct)
    {
        var snapped = new List<ImageBackup>();
        if (prepared.Count == 0) return (snapped, null);
        var vm = prepared[0].Plan!.Target.Vm;
        var scope = new VmScope(job.Name, vm,
            prepared.Select(u => u.Link.LibvirtName).FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)) ?? vm,
            prepared.Select(u => u.Plan!.Target.Ref.ToString()).ToList(), prepared.Select(u => u.Plan!.Point.RestorePoint).ToList());
        ConsistencyWindow window;
        try { window = await deps.Consistency.EnterAsync(scope, ct); }
        catch (OperationCanceledException)
        {
            // The window already closed itself (post-hook run); no snapshot was taken.
            foreach (var u in prepared) { await u.SkipAsync("cancelled (SIGINT/SIGTERM) before the snapshot"); done.Add((u, u.Ended!)); }
            return (snapped, null);
        }
        await using (window)
        {
            foreach (var u in prepared)
            {
                if (window.SkipReason is { } skip) await u.SkipAsync(skip);
                else if (await u.SnapshotAsync(ct)) { snapped.Add(u); continue; }
                done.Add((u, u.Ended!));
            }
        }
        lock (Warnings) Warnings.AddRange(window.Warnings);
        if (snapped.Count == 0) return (snapped, null);
        var warnings = new List<string>();
        VmDefinition? definition = null;
        try { definition = await deps.Consistency.CaptureDefinitionAsync(scope, warnings, ct); }
        catch (OperationCanceledException) { } // the exports see the signal themselves and undo their points
        lock (Warnings) Warnings.AddRange(warnings);
        return (snapped, new VmCapture(window.Consistency, definition));
    }

    private async Task<bool> StillHeldAsync(CancellationToken ct)
    {
        try { return await fence.StillHeldAsync(ct); }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException) { return false; }
    }
}

/// <summary>
/// exec --worker (docs/SCALING.md): a VM's disks are claimed all or none (they are snapshotted together);
/// images already done in this run by another worker are left out.
/// </summary>
internal sealed class WorkerClaims(IImageClaims claims, string runId, ILogger log)
{
    public async Task<(IImageClaim? Claim, List<JobImage> Mine)> ClaimAsync(int jobId, List<JobImage> disks, Func<JobImage, string> key, CancellationToken ct)
    {
        var outcome = await claims.TryClaimAsync(jobId, disks.Select(key).ToList(), runId, ct);
        if (outcome.Claim is null)
        {
            log.Information("VM {Vm}: skipped, {Why}", Names.Printable(disks[0].Vm),
                outcome.HeldBy is { } h ? $"claimed by worker {h.Host} pid {h.Pid}" : "done in this run by another worker");
            return (null, []);
        }
        return (outcome.Claim, disks.Where(d => outcome.Claim.Images.Contains(key(d))).ToList());
    }

    /// <summary>The point is recorded: failing to mark the claim only means another worker may redo the image.</summary>
    public async Task MarkDoneAsync(IImageClaim claim, string key, JobImage disk)
    {
        try { await claim.MarkDoneAsync(key, CancellationToken.None); }
        catch (Exception e) when (e is CephBackupException or InvalidOperationException)
        {
            log.Warning("{Vm}/{Image}: backed up, but could not mark the image claim done: {Error}", disk.Vm, disk.Image, e.Message);
        }
    }
}

/// <summary>A worker's fence: its job lease and its claim on the VM must both still be held.</summary>
internal sealed class BothHeld(IJobLock job, IImageClaim claim) : IJobLock
{
    public async Task<bool> StillHeldAsync(CancellationToken ct) => await job.StillHeldAsync(ct) && await claim.StillHeldAsync(ct);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The fence of a dry run: it holds nothing and never writes, so every check passes.</summary>
internal sealed class NoFence : IJobLock
{
    public static readonly NoFence Instance = new();
    public Task<bool> StillHeldAsync(CancellationToken ct) => Task.FromResult(true);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
