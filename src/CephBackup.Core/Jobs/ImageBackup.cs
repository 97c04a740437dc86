using System.Globalization;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>What one image backup needs; built once per job run.</summary>
public sealed record BackupDeps(ICatalog Catalog, IRbd Rbd, TimeProvider Time, ILogger Log)
{
    public ImagePlanning Planning { get; } = new(Catalog, Rbd, Time);
    public ImageExporter Exporter { get; } = new(Rbd, Time, Log);
    public LeftoverPoint Leftovers { get; } = new(Catalog, Rbd, Log);
    public PointUndo Undo { get; } = new(Catalog, Rbd, Log);
    /// <summary>Hooks and libvirt around each VM's snapshots (docs/CONSISTENCY.md); off unless configured.</summary>
    public ConsistencyService Consistency { get; init; } = ConsistencyService.Off;
    /// <summary>Live bytes per exporting image (exec at a terminal); null = none.</summary>
    public IProgress<ExportProgress>? Progress { get; init; }
}

/// <summary>
/// The whole life of one image's point in one run: plan → snapshot → export → record, and the undo of
/// whatever did not finish (<see cref="PointUndo"/>). The job calls the three phases so that all disks of a
/// VM are planned first and snapshotted back to back before any export; each phase that fails ends the
/// unit with a report, and a failure here never touches another image.
/// </summary>
public sealed class ImageBackup(JobSettings job, JobImage link, string defaultPool, BackupDeps deps, IJobLock fence)
{
    private readonly ILogger _log = deps.Log;
    private string? _adopted;
    private bool _snapshotAttempted;
    // Milliseconds per phase, logged with the result: where an image's time goes (scripts/bench-exec.sh reads them).
    private readonly Dictionary<string, long> _ms = [];
    private long _phaseStart;

    private void Phase(string name)
    {
        var now = deps.Time.GetTimestamp();
        if (_phaseStart != 0) _ms[name] = (long)deps.Time.GetElapsedTime(_phaseStart, now).TotalMilliseconds;
        _phaseStart = now;
    }
    private string? _consistency;

    public JobImage Link => link;
    public ImagePlan? Plan { get; private set; }
    public DateTimeOffset Start { get; private set; }
    /// <summary>Set when the unit ended before its export (plan or snapshot failed, or cancelled).</summary>
    public ImageReport? Ended { get; private set; }

    public async Task<bool> PrepareAsync(CancellationToken ct)
    {
        Start = deps.Time.GetUtcNow();
        Phase("start");
        try
        {
            var target = ImageTarget.From(link, defaultPool);
            await deps.Catalog.SetImageLastRunAsync(link.LinkId, Start.UtcDateTime, ct);
            // Planned ahead of the snapshot list (docs/EXEC.md): `rbd snap ls` is one more process and cluster
            // connect (~0.2 s) on every image's path, and only says what the snapshot and the export find out
            // anyway: a name already taken ("File exists"), a base snapshot gone (export-diff exits 2). The
            // list is read first only when an interrupted run left files at the planned point: adopting them needs it.
            Plan = await deps.Planning.PlanAsync(job, target, null, ct);
            if (LeftoverPoint.FilesAt(Plan.PointFile)) Plan = await PlanWithListAsync(target, ct);
            Phase("plan");
            return true;
        }
        catch (Exception e) when (IsImageFailure(e))
        {
            Ended = await FailedAsync(e is OperationCanceledException ? "cancelled before the snapshot" : e.Message);
            return false;
        }
    }

    /// <summary>The plan made with the image's snapshot list, with what an interrupted run left at it adopted or removed.</summary>
    private async Task<ImagePlan> PlanWithListAsync(ImageTarget target, CancellationToken ct, IReadOnlyList<RbdSnapshot>? snaps = null)
    {
        var plan = await deps.Planning.PlanAsync(job, target, snaps ?? await deps.Rbd.SnapListAsync(target.Ref, ct), ct);
        if (await deps.Leftovers.AdoptOrRemoveAsync(job, plan, fence, ct) is { } adopted)
        {
            _adopted = $"adopted {adopted.RestorePoint} left unrecorded by an interrupted run";
            plan = await deps.Planning.PlanAsync(job, target, ct);
            await deps.Leftovers.AdoptOrRemoveAsync(job, plan, fence, ct);
        }
        return plan;
    }

    /// <summary>Must follow a successful <see cref="PrepareAsync"/>.</summary>
    public async Task<bool> SnapshotAsync(CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            _snapshotAttempted = true;
            try { await deps.Rbd.SnapCreateAsync(Plan!.Target.Ref, Plan.Snapshot, ct); }
            catch (RbdException e) when (e.IsExists && Plan!.Snapshots is null)
            {
                // An interrupted run's snapshot has the planned name: the list decides, as for any leftover
                // (removed, or refused when a recorded point references it), and the snapshot is taken again.
                _snapshotAttempted = false;
                Plan = await PlanWithListAsync(Plan.Target, ct);
                _snapshotAttempted = true;
                await deps.Rbd.SnapCreateAsync(Plan.Target.Ref, Plan.Snapshot, ct);
            }
            Phase("snapshot");
            return true;
        }
        catch (Exception e) when (IsImageFailure(e))
        {
            // "File exists": the snapshot there is not this run's, so it is never removed as ours.
            if (e is RbdException { IsExists: true }) _snapshotAttempted = false;
            var (_, undo) = await deps.Undo.UndoAsync(job, Plan!, fence, _snapshotAttempted, outcomeUnknown: false);
            Ended = await FailedAsync($"{(e is OperationCanceledException ? "cancelled" : e.Message)}; {undo}");
            return false;
        }
    }

    /// <summary>Ends a prepared unit without a snapshot (the VM's pre-snapshot hook failed under skip-vm, or a signal came first).</summary>
    public async Task SkipAsync(string reason) => Ended = await FailedAsync(reason);

    /// <summary>Must follow a successful <see cref="SnapshotAsync"/>.</summary>
    /// <param name="vm">How the VM's snapshots were taken and its saved definition; null = crash, no definition.</param>
    public async Task<ImageReport> ExportAsync(CancellationToken ct, VmCapture? vm = null)
    {
        _consistency = vm?.Consistency ?? PointConsistency.Crash;
        try
        {
            Phase("wait");
            // A signal that came while this point waited for its export slot: undo it without starting rbd.
            ct.ThrowIfCancellationRequested();
            ExportedPoint exported;
            try { exported = await deps.Exporter.ExportAsync(job, Plan!, Start.UtcDateTime, ct, vm, deps.Progress); }
            catch (RbdException e) when (e.IsNotFound && Plan!.Snapshots is null && Plan.FromSnapshot is not null)
            {
                await ReplanWithoutBaseAsync(e, ct);
                exported = await deps.Exporter.ExportAsync(job, Plan, Start.UtcDateTime, ct, vm, deps.Progress);
            }
            Phase("export");
            await Fence.RequireAsync(fence, ct);
            ImageExporter.Commit(exported);
            await Fence.RequireAsync(fence, ct);
            Phase("commit");
            // Once the files are in place the record is finished even if a signal arrives meanwhile: an
            // abandoned COMMIT is the one failure whose outcome nobody could tell afterwards.
            var point = exported.Point;
            await deps.Catalog.RecordPointAsync(point, LogEntry(job, Plan!, Start, point.EndedAt, "SUCCESS", null), CancellationToken.None);
            Phase("record");
            return Succeeded(point.SizeBytes, new DateTimeOffset(point.EndedAt, TimeSpan.Zero));
        }
        catch (Exception e) when (IsImageFailure(e))
        {
            var unknown = e is CatalogException { OutcomeUnknown: true };
            var plan = Plan!;
            var (outcome, undo) = await deps.Undo.UndoAsync(job, plan, fence, snapshotCreated: true, unknown);
            if (outcome == UndoOutcome.RecordedAfterAll)
            {
                var p = (await deps.Catalog.GetPointsAsync(job.Id, null, plan.Target.ImageName, CancellationToken.None))
                    .First(x => x.Chain == plan.Point.Chain && x.Point == plan.Point.Point);
                return Succeeded(p.SizeBytes, new DateTimeOffset(p.EndedAt, TimeSpan.Zero));
            }
            return await FailedAsync($"{(e is OperationCanceledException ? "cancelled" : e.Message)}; {undo}");
        }
    }

    /// <summary>
    /// The export found no base snapshot (rbd exit 2): it had gone, which a plan made ahead of the snapshot list
    /// cannot know. The point is planned again with the list (a new chain), and the snapshot already taken, the
    /// same moment as the VM's other disks, is renamed to the new point's name rather than taken again.
    /// </summary>
    private async Task ReplanWithoutBaseAsync(RbdException notFound, CancellationToken ct)
    {
        var taken = Plan!;
        var snaps = await deps.Rbd.SnapListAsync(taken.Target.Ref, ct);
        if (snaps.Any(s => s.Name == taken.FromSnapshot) || snaps.All(s => s.Name != taken.Snapshot)) throw notFound;
        var next = await PlanWithListAsync(taken.Target, ct, snaps);
        _log.Information("{Vm}/{Image}: base snapshot {Base} is gone; {RestorePoint} is planned again as {Next}, its snapshot {Taken} renamed to {Snapshot}",
            taken.Target.Vm, taken.Target.ImageName, taken.FromSnapshot, taken.Point.RestorePoint, next.Point.RestorePoint, taken.Snapshot, next.Snapshot);
        // One fencing check for both: the failed export's partial file goes, and the snapshot changes name.
        await Fence.RequireAsync(fence, ct);
        PointFiles.DeleteAll(taken.PointFile);
        if (next.Snapshot != taken.Snapshot) await deps.Rbd.SnapRenameAsync(taken.Target.Ref, taken.Snapshot, next.Snapshot, ct);
        Plan = next;
    }

    private static bool IsImageFailure(Exception e) =>
        e is CephBackupException or IOException or UnauthorizedAccessException or InvalidDataException or OperationCanceledException;

    private ImageReport Succeeded(long bytes, DateTimeOffset end)
    {
        var plan = Plan!;
        var detail = _adopted is null ? plan.Point.Reason : $"{_adopted}; {plan.Point.Reason}";
        var r = Report(ImageResult.Success, detail) with { End = end, SizeBytes = bytes, Consistency = _consistency };
        _log.Information("{Vm}/{Image}: {Type} {RestorePoint} {Bytes} bytes in {Seconds:F1}s ({Rate} MB/s) SUCCESS ({Reason})",
            r.Vm, r.Image, r.Type, r.RestorePoint, r.SizeBytes, r.Duration.TotalSeconds,
            r.MegabytesPerSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-", detail);
        _log.Debug("{Vm}/{Image} timings (ms): {Timings}", r.Vm, r.Image, string.Join(" ", _ms.Select(kv => $"{kv.Key}={kv.Value}")));
        return r;
    }

    private async Task<ImageReport> FailedAsync(string error)
    {
        var r = Report(ImageResult.Failed, _adopted is null ? error : $"{_adopted}; {error}");
        _log.Error("{Vm}/{Image}: {Type} {RestorePoint} FAIL: {Error}", r.Vm, r.Image, r.Type, r.RestorePoint ?? "-", error);
        if (Plan is not null)
        {
            try { await deps.Catalog.RecordFailureAsync(link.LinkId, LogEntry(job, Plan, Start, r.End.UtcDateTime, "FAIL", error), CancellationToken.None); }
            catch (CephBackupException e) { _log.Error("Could not record the failure of {Vm}/{Image} in the catalog: {Error}", r.Vm, r.Image, e.Message); }
        }
        return r;
    }

    public ImageReport Report(ImageResult result, string? detail) => new()
    {
        Vm = Names.Printable(link.Vm), Image = Names.Printable(link.Image), Start = Start, End = deps.Time.GetUtcNow(),
        Type = Plan is null ? "-" : TypeLabel(Plan.Point.Type), RestorePoint = Plan?.Point.RestorePoint,
        Snapshot = Plan?.Snapshot, FromSnapshot = Plan?.FromSnapshot, Result = result, Detail = detail,
    };

    public static string TypeLabel(PointType t) => t switch { PointType.Full => "FULL", PointType.Incremental => "INC", _ => "DIFF" };

    public static BackupLogEntry LogEntry(JobSettings job, ImagePlan plan, DateTimeOffset t0, DateTime end, string result, string? error) => new()
    {
        Job = job.Name, Vm = plan.Target.Vm, TimeStart = t0.UtcDateTime, TimeEnd = end, Result = result, Error = error,
        Type = plan.Point.Type switch { PointType.Full => "full", PointType.Incremental => "inc", _ => "diff" },
        Path = Path.GetDirectoryName(plan.PointFile) + "/",
        BackupCmd = $"rbd export-diff --no-progress {(plan.FromSnapshot is null ? "" : $"--from-snap {plan.FromSnapshot} ")}{plan.Target.Ref.At(plan.Snapshot)} -",
    };
}
