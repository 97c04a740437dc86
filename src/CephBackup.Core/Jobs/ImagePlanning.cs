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
            .Where(c => PointCodecs.Find(Path.Combine(imageDir, BackupLayout.ChainDirName(c), BackupLayout.PointFileName(0))) is not null)
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
            var point = job.Layout.PointFile(t.Vm, t.ImageName, p.Chain, p.Point);
            // Plain or .zst, whatever the job's compression is now: sizes and checksums are of the stored file.
            if (PointCodecs.FindStored(point) is not { } file) return $"base file {point} is missing";
            if (p.Sha256 is null) return $"base file {file} has no recorded checksum";
            if (new FileInfo(file).Length != p.SizeBytes) return $"base file {file} has size {new FileInfo(file).Length}, recorded {p.SizeBytes}";
        }
        // The file the new diff extends must still hold what was recorded: a changed byte there would poison
        // every later point. Re-reading a multi-GiB full every night is the price of certainty, so it is
        // re-hashed only when it was written to after it was last known good (mtime, like git's stat cache);
        // silent bit rot without a write is what `verify` is for.
        var baseFile = PointCodecs.FindStored(job.Layout.PointFile(t.Vm, t.ImageName, basePoint.Chain, basePoint.Point))!;
        var knownGood = basePoint.VerifiedAt is { } v && v > basePoint.EndedAt ? v : basePoint.EndedAt;
        if (File.GetLastWriteTimeUtc(baseFile) <= DateTime.SpecifyKind(knownGood, DateTimeKind.Utc)) return null;
        var sha = await PointFiles.Sha256OfFileAsync(baseFile, ct);
        if (sha != basePoint.Sha256) return $"base file {baseFile} does not match its recorded sha256";
        await catalog.SetVerifiedAsync(basePoint.Id, time.GetUtcNow().UtcDateTime, ct);
        return null;
    }
}
