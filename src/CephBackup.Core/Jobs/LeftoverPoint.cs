using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>
/// What an interrupted run left at the point this run is about to make (its planning is deterministic, so a
/// crash lands the next run on the same point): a whole point file with sidecars whose row never made it
/// into the catalog is adopted when it checks out; anything else there is removed. Files without our
/// sidecars (the PHP tool's) are never touched here.
/// </summary>
public sealed class LeftoverPoint(ICatalog catalog, IRbd rbd, ILogger log)
{
    /// <summary>The adopted point, or null when there was nothing to adopt (and any debris was removed).</summary>
    public async Task<BackupPoint?> AdoptOrRemoveAsync(JobSettings job, ImagePlan plan, IJobLock fence, CancellationToken ct)
    {
        var (point, whyNot) = await InspectAsync(job, plan, ct);
        if (point is not null)
        {
            await Fence.RequireAsync(fence, ct);
            var started = new DateTimeOffset(DateTime.SpecifyKind(point.StartedAt, DateTimeKind.Utc));
            await catalog.RecordPointAsync(point, ImageBackup.LogEntry(job, plan, started, point.EndedAt, "SUCCESS", null), CancellationToken.None);
            log.Warning("{Vm}/{Image}: adopted {RestorePoint}, which an interrupted run wrote but did not record (sidecar, checksum and snapshot verified)",
                plan.Target.Vm, plan.Target.ImageName, point.RestorePoint);
            return point;
        }
        var snapshotThere = plan.ListedSnapshots.Any(s => s.Name == plan.Snapshot);
        var filesThere = FilesAt(plan.PointFile);
        if (!snapshotThere && !filesThere) return null;
        if (snapshotThere && plan.RecordedSnapshots.Contains(plan.Snapshot))
            throw new CephBackupException(ExitCode.PartialFailure,
                $"snapshot {plan.Snapshot} belongs to a recorded restore point but the plan lands on it again: refusing to touch it (catalog edited by hand?)");
        await Fence.RequireAsync(fence, ct);
        if (snapshotThere)
        {
            log.Warning("Removing leftover snapshot {Snapshot} of {Image} from an interrupted run{Why}", plan.Snapshot, plan.Target.Ref, whyNot is null ? "" : $" ({whyNot})");
            await rbd.SnapRemoveAsync(plan.Target.Ref, plan.Snapshot, ct);
        }
        if (filesThere)
        {
            log.Warning("Removing leftover files of {File} from an interrupted run{Why}", plan.PointFile, whyNot is null ? "" : $" ({whyNot})");
            PointFiles.DeleteAll(plan.PointFile);
        }
        return null;
    }

    /// <summary>Any file of the point (whole, partial or a sidecar) is there.</summary>
    public static bool FilesAt(string pointFile) =>
        Directory.Exists(Path.GetDirectoryName(pointFile))
        && Directory.EnumerateFiles(Path.GetDirectoryName(pointFile)!, Path.GetFileName(pointFile) + "*").Any();

    /// <summary>The point as its sidecars describe it when everything matches the plan, else why not (null if nothing is there).</summary>
    private static async Task<(BackupPoint?, string?)> InspectAsync(JobSettings job, ImagePlan plan, CancellationToken ct)
    {
        if (PointCodecs.Find(plan.PointFile) is not { } codec) return (null, null);
        var meta = PointFiles.ReadSidecar(plan.PointFile);
        var sha = PointFiles.ReadSha(plan.PointFile);
        if (meta is null || sha is null || meta.Sha256 != sha) return (null, "its sidecars are missing or disagree");
        var p = plan.Point;
        if (meta.Job != job.Name || meta.Vm != plan.Target.Vm || meta.Image != plan.Target.ImageName || meta.Chain != p.Chain
            || meta.Point != p.Point || meta.Type != p.Type.ToDb() || meta.BasePoint != p.BasePoint || meta.Snapshot != plan.Snapshot
            || meta.FromSnapshot != plan.FromSnapshot)
            return (null, "its sidecar describes another point than the one planned now");
        if (plan.ListedSnapshots.All(s => s.Name != plan.Snapshot)) return (null, $"its snapshot {plan.Snapshot} is gone");
        var stored = codec.StoredPath(plan.PointFile);
        if (new FileInfo(stored).Length != meta.SizeBytes) return (null, "its size differs from its sidecar");
        if (await PointFiles.Sha256OfFileAsync(stored, ct) != sha) return (null, "it does not match its checksum");
        return (new BackupPoint
        {
            JobId = job.Id, JobName = job.Name, LinkId = plan.Target.Link.LinkId, Vm = meta.Vm, Image = meta.Image,
            Chain = meta.Chain, Point = meta.Point, Type = p.Type, BasePoint = meta.BasePoint, Snapshot = meta.Snapshot,
            FilePath = plan.PointFile, SizeBytes = meta.SizeBytes, ImageSizeBytes = meta.ImageSizeBytes, Sha256 = sha,
            Status = PointStatus.Ok, StartedAt = meta.StartedAt, EndedAt = meta.EndedAt, Consistency = meta.Consistency,
            Format = codec.Format.ToDb(), StreamSizeBytes = meta.StreamSizeBytes, StreamSha256 = meta.StreamSha256,
        }, null);
    }
}

/// <summary>The fencing check: destructive or recording steps happen only while this run provably holds the job.</summary>
public static class Fence
{
    public static async Task RequireAsync(IJobLock fence, CancellationToken ct)
    {
        if (!await fence.StillHeldAsync(ct))
            throw new LostLockException();
    }
}

/// <summary>This run can no longer prove it holds the job lock: it must not rename, delete or record anything.</summary>
public sealed class LostLockException()
    : CephBackupException(ExitCode.PartialFailure, "lost the job lock (database connection dropped or taken over): this run stopped touching the job's files");
