using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Jobs;

/// <summary>The next point of one image, with what was checked to get there.</summary>
/// <param name="Snapshots">The image's snapshots if planning already listed them (a diff's base check), else null.</param>
public sealed record ImagePlan(ImageTarget Target, PointPlan Point, string Snapshot, string? FromSnapshot, string PointFile,
    IReadOnlyList<RbdSnapshot>? Snapshots = null);

/// <summary>
/// Turns the catalog, the folder tree and the image's snapshots into the next point (the I/O half of
/// <see cref="BackupPlanner"/>): a diff is only planned when the snapshot and every file it depends on
/// are there and the file it starts from still has its recorded checksum; otherwise a new chain starts.
/// </summary>
public sealed class ImagePlanning(ICatalog catalog, IRbd rbd, TimeProvider time)
{
    public async Task<ImagePlan> PlanAsync(JobSettings job, ImageTarget t, CancellationToken ct)
    {
        var points = (await catalog.GetPointsAsync(job.Id, null, t.ImageName, ct))
            .Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified && p.Vm == t.Vm)
            .ToList();
        var imageDir = job.Layout.ImageDir(t.Vm, t.ImageName);
        // A folder counts only once its full is complete: a crashed first full leaves a folder we reuse.
        var onDisk = BackupLayout.ChainsOnDisk(imageDir)
            .Where(c => File.Exists(Path.Combine(imageDir, BackupLayout.ChainDirName(c), BackupLayout.PointFileName(0))))
            .DefaultIfEmpty(0).Max();
        var highest = Math.Max(onDisk, points.Select(p => p.Chain).DefaultIfEmpty(0).Max());
        var newest = points.Count == 0 ? [] : points.Where(p => p.Chain == points.Max(q => q.Chain)).ToList();

        var plan = BackupPlanner.Decide(newest, highest, job.MaxInc, job.Mode);
        IReadOnlyList<RbdSnapshot>? snaps = null;
        if (plan.BasePoint is { } basePoint)
        {
            snaps = await rbd.SnapListAsync(t.Ref, ct);
            var broken = await CheckBaseAsync(job, t, snaps, newest, newest.Single(p => p.Point == basePoint), ct);
            if (broken is not null) plan = BackupPlanner.Decide(newest, highest, job.MaxInc, job.Mode, broken);
        }
        var snap = SnapshotNames.Of(job.Prefix, plan.Chain, plan.Point);
        string? from = plan.BasePoint is { } b ? SnapshotNames.Of(job.Prefix, plan.Chain, b) : null;
        return new ImagePlan(t, plan, snap, from, job.Layout.PointFile(t.Vm, t.ImageName, plan.Chain, plan.Point), snaps);
    }

    /// <returns>Null when the base is usable, else why not.</returns>
    private async Task<string?> CheckBaseAsync(JobSettings job, ImageTarget t, IReadOnlyList<RbdSnapshot> snaps, List<BackupPoint> chain, BackupPoint basePoint, CancellationToken ct)
    {
        var fromSnap = SnapshotNames.Of(job.Prefix, basePoint.Chain, basePoint.Point);
        if (snaps.All(s => s.Name != fromSnap)) return $"base snapshot {fromSnap} is missing on Ceph";

        IReadOnlyList<BackupPoint> needed;
        try { needed = BackupPlanner.RestoreSequence(chain, basePoint); }
        catch (CephBackupException e) { return e.Message; }
        foreach (var p in needed)
        {
            var file = job.Layout.PointFile(t.Vm, t.ImageName, p.Chain, p.Point);
            if (!File.Exists(file)) return $"base file {file} is missing";
            if (p.Sha256 is null) return $"base file {file} has no recorded checksum";
            if (new FileInfo(file).Length != p.SizeBytes) return $"base file {file} has size {new FileInfo(file).Length}, recorded {p.SizeBytes}";
        }
        // Every file the new diff needs must still hold what was recorded: a changed byte in any of them
        // (not only the newest: an incremental needs the whole chain) makes every later point unrestorable.
        // Re-reading a multi-GiB full every night is the price of certainty, so a file is re-hashed only when
        // it was written to after it was last known good (mtime, like git's stat cache); silent bit rot
        // without a write is what `verify` is for.
        foreach (var p in needed)
        {
            var file = job.Layout.PointFile(t.Vm, t.ImageName, p.Chain, p.Point);
            var knownGood = p.VerifiedAt is { } v && v > p.EndedAt ? v : p.EndedAt;
            if (File.GetLastWriteTimeUtc(file) <= DateTime.SpecifyKind(knownGood, DateTimeKind.Utc)) continue;
            var sha = await PointFiles.Sha256OfFileAsync(file, ct);
            if (sha != p.Sha256) return $"base file {file} does not match its recorded sha256";
            await catalog.SetVerifiedAsync(p.Id, time.GetUtcNow().UtcDateTime, ct);
        }
        return null;
    }
}
