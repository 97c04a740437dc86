using System.Diagnostics;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>A point whose diff is complete in its partial file, not yet renamed into place nor recorded.</summary>
/// <param name="Definition">The VM's libvirt definition, written as <c>NNNNNN.vm.xml</c> by <see cref="ImageExporter.Commit"/>.</param>
public sealed record ExportedPoint(BackupPoint Point, PointSidecar Sidecar, VmDefinition? Definition = null);

/// <summary>
/// The file half of one point: rbd export-diff → the job's codec (SHA-256s) → NNNNNN[.zst].partial → fsync, then, once the
/// caller has checked it still owns the job, sidecars → rename → fsync of the folder. A point file under
/// its final name is therefore always whole; whether it counts is decided by the catalog row alone.
/// </summary>
public sealed class ImageExporter(IRbd rbd, TimeProvider time, ILogger log)
{
    /// <param name="vm">How the VM's snapshots were taken and its definition (issue #14); null = crash, no definition.</param>
    /// <param name="progress">Bytes streamed so far, for a live display; null = nobody watches (cron), nothing is counted.</param>
    public async Task<ExportedPoint> ExportAsync(JobSettings job, ImagePlan plan, DateTime startedUtc, CancellationToken ct, VmCapture? vm = null,
        IProgress<ExportProgress>? progress = null)
    {
        var dir = Path.GetDirectoryName(plan.PointFile)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var partial = PointFiles.Partial(plan.PointFile, job.Codec);
        WrittenPoint written;
        var sw = Stopwatch.StartNew();
        ProgressStream? counted = null;
        try
        {
            await using var sink = job.Codec.CreateSink(partial);
            counted = progress is null ? null
                : new ProgressStream(sink.Input, progress, new(job.Name, Names.Printable(plan.Target.Vm), Names.Printable(plan.Target.ImageName), 0, false), time);
            counted?.Start();
            await rbd.ExportDiffAsync(plan.Target.Ref, plan.Snapshot, plan.FromSnapshot, (Stream?)counted ?? sink.Input, ct);
            written = await sink.CompleteAsync();
        }
        finally
        {
            // Also on failure: a display must not keep showing an export that has ended.
            counted?.Finish();
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
            Status = PointStatus.Ok, StartedAt = startedUtc, EndedAt = ended, Consistency = vm?.Consistency ?? PointConsistency.Crash,
            Format = job.Codec.Format.ToDb(), StreamSizeBytes = written.StreamBytes, StreamSha256 = written.StreamSha256,
        };
        log.Debug("Wrote {File} ({Bytes} bytes) in {Seconds:F1}s", partial, written.StoredBytes, sw.Elapsed.TotalSeconds);
        return new ExportedPoint(point, Sidecar(point, plan.FromSnapshot) with { VmDefinitionSha256 = vm?.Definition?.Sha256 }, vm?.Definition);
    }

    /// <summary>Sidecars, then the rename that makes the point file appear under its final name.</summary>
    public static void Commit(ExportedPoint p)
    {
        if (p.Definition is { } definition) DefinitionFiles.Write(p.Point.FilePath, definition);
        PointFiles.Commit(p.Point.FilePath, p.Sidecar);
    }

    public static PointSidecar Sidecar(BackupPoint p, string? fromSnapshot) => new()
    {
        Job = p.JobName, Vm = p.Vm, Image = p.Image, Chain = p.Chain, Point = p.Point,
        Type = p.Type.ToDb(), BasePoint = p.BasePoint, Snapshot = p.Snapshot, FromSnapshot = fromSnapshot,
        ImageSizeBytes = p.ImageSizeBytes, SizeBytes = p.SizeBytes, Sha256 = p.Sha256!,
        Format = p.Format, StreamSizeBytes = p.StreamSizeBytes, StreamSha256 = p.StreamSha256,
        StartedAt = p.StartedAt, EndedAt = p.EndedAt, Consistency = p.Consistency,
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
