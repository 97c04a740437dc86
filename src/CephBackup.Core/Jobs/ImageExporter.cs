using System.Diagnostics;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>A point whose diff is complete in its partial file, not yet renamed into place nor recorded.</summary>
public sealed record ExportedPoint(BackupPoint Point, PointSidecar Sidecar);

/// <summary>
/// The file half of one point: rbd export-diff → codec (SHA-256) → NNNNNN.partial → fsync, then, once the
/// caller has checked it still owns the job, sidecars → rename → fsync of the folder. A point file under
/// its final name is therefore always whole; whether it counts is decided by the catalog row alone.
/// </summary>
public sealed class ImageExporter(IRbd rbd, TimeProvider time, ILogger log)
{
    public async Task<ExportedPoint> ExportAsync(JobSettings job, ImagePlan plan, DateTime startedUtc, CancellationToken ct)
    {
        var dir = Path.GetDirectoryName(plan.PointFile)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var partial = PointFiles.Partial(plan.PointFile);
        WrittenPoint written;
        var sw = Stopwatch.StartNew();
        await using (var sink = PointCodecs.Plain.CreateSink(partial))
        {
            await rbd.ExportDiffAsync(plan.Target.Ref, plan.Snapshot, plan.FromSnapshot, sink.Input, ct);
            written = await sink.CompleteAsync();
        }
        CheckStream(plan, written);
        // Taken after the last write: a file modified later has an mtime above EndedAt (see ImagePlanning).
        var ended = time.GetUtcNow().UtcDateTime;
        var point = new BackupPoint
        {
            JobId = job.Id, JobName = job.Name, LinkId = plan.Target.Link.LinkId, Vm = plan.Target.Vm,
            Image = plan.Target.ImageName, Chain = plan.Point.Chain, Point = plan.Point.Point, Type = plan.Point.Type,
            BasePoint = plan.Point.BasePoint, Snapshot = plan.Snapshot, FilePath = plan.PointFile,
            SizeBytes = written.StoredBytes, ImageSizeBytes = written.Header!.ImageSize, Sha256 = written.StoredSha256,
            Status = PointStatus.Ok, StartedAt = startedUtc, EndedAt = ended,
        };
        log.Debug("Wrote {File} ({Bytes} bytes) in {Seconds:F1}s", partial, written.StoredBytes, sw.Elapsed.TotalSeconds);
        return new ExportedPoint(point, Sidecar(point, plan.FromSnapshot));
    }

    /// <summary>Sidecars, then the rename that makes the point file appear under its final name.</summary>
    public static void Commit(ExportedPoint p) => PointFiles.Commit(p.Point.FilePath, p.Sidecar);

    public static PointSidecar Sidecar(BackupPoint p, string? fromSnapshot) => new()
    {
        Job = p.JobName, Vm = p.Vm, Image = p.Image, Chain = p.Chain, Point = p.Point,
        Type = p.Type.ToDb(), BasePoint = p.BasePoint, Snapshot = p.Snapshot, FromSnapshot = fromSnapshot,
        ImageSizeBytes = p.ImageSizeBytes, SizeBytes = p.SizeBytes, Sha256 = p.Sha256!,
        StartedAt = p.StartedAt, EndedAt = p.EndedAt,
    };

    /// <summary>rbd exited 0, but the stream must still be the diff we asked for, and complete.</summary>
    private static void CheckStream(ImagePlan plan, WrittenPoint w)
    {
        if (w.Header is null) throw new InvalidDataException("export-diff produced no diff header");
        if (w.Header.ToSnap != plan.Snapshot || w.Header.FromSnap != plan.FromSnapshot)
            throw new InvalidDataException($"export-diff stream is from {w.Header.FromSnap ?? "(none)"} to {w.Header.ToSnap}, expected {plan.FromSnapshot ?? "(none)"} to {plan.Snapshot}");
        if (!w.EndsWithEndTag) throw new InvalidDataException("export-diff stream does not end with the end record (cut short?)");
    }
}
