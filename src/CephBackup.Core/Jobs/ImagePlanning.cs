using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Jobs;

/// <summary>The next point of one image, with what was checked to get there.</summary>
/// <param name="Snapshots">The image's snapshots as listed while planning; null when the plan was made ahead of the
/// list and assumes its base snapshot is there (<see cref="ImagePlanning.PlanAsync(JobSettings, ImageTarget, IReadOnlyList{RbdSnapshot}?, CancellationToken)"/>).</param>
/// <param name="RecordedSnapshots">Snapshots that recorded points of this job and image reference: never removed as leftovers.</param>
public sealed record ImagePlan(ImageTarget Target, PointPlan Point, string Snapshot, string? FromSnapshot, string PointFile,
    IReadOnlyList<RbdSnapshot>? Snapshots, IReadOnlySet<string> RecordedSnapshots)
{
    /// <summary>The listed snapshots; only a plan made with the list has them.</summary>
    public IReadOnlyList<RbdSnapshot> ListedSnapshots =>
        Snapshots ?? throw new InvalidOperationException($"the plan of {Target.Ref} was made ahead of its snapshot list");
}

/// <summary>
/// Turns the catalog, the folder tree and the image's snapshots into the next point (the I/O half of
/// <see cref="BackupPlanner"/>): a diff is only planned when the snapshot and every file it depends on
/// are there and the file it starts from still has its recorded checksum; otherwise a new chain starts.
/// A chain belongs to (job, pool/image): points recorded under an earlier VM name still count, so a
/// renamed VM never collides with its own history.
/// </summary>
public sealed class ImagePlanning(ICatalog catalog, IRbd rbd, TimeProvider time)
{
    public async Task<ImagePlan> PlanAsync(JobSettings job, ImageTarget t, CancellationToken ct)
    {
        // Independent reads: the rbd process (~0.15 s of cluster connect) runs while the catalog answers.
        // Both finish before anything is decided, so a failure of either leaves nothing running behind.
        var snapsTask = rbd.SnapListAsync(t.Ref, ct);
        var recordedTask = catalog.GetPointsAsync(job.Id, null, t.ImageName, ct);
        await Task.WhenAll(snapsTask, recordedTask);
        return await DecideAsync(job, t, await recordedTask, await snapsTask, ct);
    }

    /// <param name="snaps">The image's snapshots; null plans ahead of the list (see <see cref="ImagePlan.Snapshots"/>):
    /// everything but the base snapshot's presence is checked.</param>
    public async Task<ImagePlan> PlanAsync(JobSettings job, ImageTarget t, IReadOnlyList<RbdSnapshot>? snaps, CancellationToken ct) =>
        await DecideAsync(job, t, await catalog.GetPointsAsync(job.Id, null, t.ImageName, ct), snaps, ct);

    private async Task<ImagePlan> DecideAsync(JobSettings job, ImageTarget t, IReadOnlyList<BackupPoint> recorded,
        IReadOnlyList<RbdSnapshot>? snaps, CancellationToken ct)
    {
        var points = recorded.Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified).ToList();
        var imageDir = job.Layout.ImageDir(t.Vm, t.ImageName);
        var recordedChains = recorded.Select(p => p.Chain).ToHashSet();
        // A folder counts once its full is complete and is either ours and recorded, or the PHP tool's (no
        // sidecar). A full of ours without a row is a leftover of a crash: planning lands on it again, and
        // the run adopts or removes it instead of skipping past it into an orphan chain.
        var onDisk = BackupLayout.ChainsOnDisk(imageDir)
            .Where(c => PointCodecs.Find(Path.Combine(imageDir, BackupLayout.ChainDirName(c), BackupLayout.PointFileName(0))) is not null
                        && (recordedChains.Contains(c) || !File.Exists(PointFiles.JsonFile(Path.Combine(imageDir, BackupLayout.ChainDirName(c), BackupLayout.PointFileName(0))))))
            .DefaultIfEmpty(0).Max();
        var highest = Math.Max(onDisk, recorded.Select(p => p.Chain).DefaultIfEmpty(0).Max());
        var newest = points.Count == 0 ? [] : points.Where(p => p.Chain == points.Max(q => q.Chain)).ToList();

        var plan = BackupPlanner.Decide(newest, highest, job.MaxInc, job.Mode);
        if (plan.BasePoint is { } basePoint)
        {
            var broken = RenamedFrom(newest, t) ?? await CheckBaseAsync(job, snaps, newest, newest.Single(p => p.Point == basePoint), ct);
            if (broken is not null) plan = BackupPlanner.Decide(newest, highest, job.MaxInc, job.Mode, broken);
        }
        var snap = SnapshotNames.Of(job.Prefix, plan.Chain, plan.Point);
        string? from = plan.BasePoint is { } b ? SnapshotNames.Of(job.Prefix, plan.Chain, b) : null;
        return new ImagePlan(t, plan, snap, from, job.Layout.PointFile(t.Vm, t.ImageName, plan.Chain, plan.Point), snaps,
            recorded.Select(p => p.Snapshot).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>A chain lives in one VM folder: after a rename the next point starts a new chain in the new folder.</summary>
    private static string? RenamedFrom(IReadOnlyList<BackupPoint> chain, ImageTarget t) =>
        chain.FirstOrDefault(p => p.Vm != t.Vm) is { } other
            ? $"the image is now linked to VM '{t.Vm}', chain {other.Chain:D6} was made under VM '{other.Vm}' (kept, still restorable)"
            : null;

    /// <returns>Null when the base is usable, else why not.</returns>
    private async Task<string?> CheckBaseAsync(JobSettings job, IReadOnlyList<RbdSnapshot>? snaps, List<BackupPoint> chain, BackupPoint basePoint, CancellationToken ct)
    {
        var fromSnap = SnapshotNames.Of(job.Prefix, basePoint.Chain, basePoint.Point);
        if (snaps is not null && snaps.All(s => s.Name != fromSnap)) return $"base snapshot {fromSnap} is missing on Ceph";

        IReadOnlyList<BackupPoint> needed;
        try { needed = BackupPlanner.RestoreSequence(chain, basePoint); }
        catch (CephBackupException e) { return e.Message; }
        foreach (var p in needed)
        {
            if (!job.Layout.Contains(p.FilePath)) return $"base file {p.FilePath} is outside the job folder {job.Layout.JobRoot}";
            if (PointCodecs.Find(p.FilePath) is not { } codec) return $"base file {p.FilePath} is missing";
            if (p.Sha256 is null) return $"base file {p.FilePath} has no recorded checksum";
            var stored = codec.StoredPath(p.FilePath);
            if (new FileInfo(stored).Length != p.SizeBytes) return $"base file {stored} has size {new FileInfo(stored).Length}, recorded {p.SizeBytes}";
        }
        // Every file the new diff needs must still hold what was recorded: a changed byte in any of them
        // (not only the newest: an incremental needs the whole chain) makes every later point unrestorable.
        // Re-reading a multi-GiB full every night is the price of certainty, so a file is re-hashed only when
        // it was written to after it was last known good (mtime, like git's stat cache); silent bit rot
        // without a write is what `verify` is for.
        foreach (var p in needed)
        {
            var file = PointCodecs.Find(p.FilePath)!.StoredPath(p.FilePath);
            var knownGood = p.VerifiedAt is { } v && v > p.EndedAt ? v : p.EndedAt;
            if (File.GetLastWriteTimeUtc(file) <= DateTime.SpecifyKind(knownGood, DateTimeKind.Utc)) continue;
            var sha = await PointFiles.Sha256OfFileAsync(file, ct);
            if (sha != p.Sha256) return $"base file {file} does not match its recorded sha256";
            await catalog.SetVerifiedAsync(p.Id, time.GetUtcNow().UtcDateTime, ct);
        }
        return null;
    }
}
