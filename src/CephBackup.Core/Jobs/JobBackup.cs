using System.Globalization;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

/// <summary>One job of an exec run: checks, lock, then each VM's disks snapshotted together and exported.</summary>
internal sealed class JobBackup(ICatalog catalog, IJobLockProvider locks, IRbd rbd, CephOptions ceph,
    MountTable mounts, TimeProvider time, HostIdentity host, ILogger log, ConsistencyService? consistency = null)
{
    private readonly ConsistencyService _consistency = consistency ?? ConsistencyService.Off;
    private readonly ImagePlanning _planning = new(catalog, rbd, time);
    private readonly ImageExporter _exporter = new(rbd, time, log);

    public async Task<JobReport> RunAsync(BackupJob row, DateOnly day, bool dryRun,
        IReadOnlyDictionary<(string, string), List<int>> prefixOwners, TextWriter planOut, CancellationToken ct)
    {
        var start = time.GetUtcNow();
        var name = Names.IsValid(row.Name) ? row.Name! : $"job {row.Id}";
        JobReport Fail(JobResult r, string msg, IReadOnlyList<string>? warnings = null)
        {
            log.Error("Job {Job}: {Message}", name, msg);
            return new JobReport { JobName = name, Result = r, Message = msg, Start = start, End = time.GetUtcNow(), Warnings = warnings ?? [] };
        }

        JobSettings job;
        try { job = JobSettings.From(row); }
        catch (CephBackupException e) { return Fail(JobResult.ConfigError, e.Message); }

        var decision = Schedule.Evaluate(day, await catalog.GetDaysAsync(job.Id, ct), await catalog.GetWeeksAsync(job.Id, ct));
        if (!decision.Run)
        {
            log.Information("Job {Job} skipped: {Reason}", job.Name, decision.Reason);
            if (dryRun) await planOut.WriteLineAsync($"job {job.Name}: skip ({decision.Reason})");
            return new JobReport { JobName = job.Name, Result = JobResult.Skipped, Message = decision.Reason, Start = start, End = start };
        }
        if (row.CheckMount != 0)
        {
            var why = string.IsNullOrWhiteSpace(row.MountPoint) ? "checkmount is set but mountpoint is empty" : mounts.Check(row.MountPoint, job.Layout.JobRoot);
            if (why is not null) return Fail(JobResult.NotMounted, $"Mountpoint not mounted: {why}");
        }

        var images = await catalog.GetJobImagesAsync(job.Id, ct);
        var collision = images.Select(i => i.Image is null ? null : TryRef(i.Image))
            .Where(r => r is not null && prefixOwners.TryGetValue((r.ToString(), job.Prefix), out var ids) && ids.Count > 1)
            .Select(r => r!.ToString()).FirstOrDefault();
        if (collision is not null)
            return Fail(JobResult.ConfigError, $"snap-prefix '{job.Prefix}' is used by another job on image {collision}: snapshot names would collide");

        if (dryRun) return await PlanOnlyAsync(job, images, decision, planOut, start, ct);

        await using var jobLock = await locks.TryAcquireAsync(job.Id, host.Host, host.Pid, start.UtcDateTime, ct);
        if (jobLock is null)
        {
            var h = await locks.GetHolderAsync(job.Id, ct);
            var who = h is null ? "another process" : $"host {h.Host} pid {h.Pid} since {h.StartedAt:yyyy-MM-dd HH:mm:ss} UTC";
            return Fail(JobResult.AlreadyRunning, $"same JOB already running: {who}");
        }
        var warnings = new List<string>();
        if (row.LastRun is { } lr && (row.LastCompletion is null || lr > row.LastCompletion))
            warnings.Add($"the previous run started {lr:yyyy-MM-dd HH:mm:ss} UTC never completed (crash or kill); this run continues normally");

        await catalog.SetJobLastRunAsync(job.Id, start.UtcDateTime, ct);
        var results = new List<ImageReport>();
        var lockLost = false;
        foreach (var vm in images.GroupBy(i => i.Vm ?? ""))
        {
            if (!await jobLock.StillHeldAsync(ct))
            {
                lockLost = true;
                warnings.Add("lost the job lock (database connection dropped): stopped before the remaining images");
                break;
            }
            results.AddRange(await BackupVmAsync(job, vm.ToList(), warnings, ct));
        }
        var end = time.GetUtcNow();
        var catalogLost = false;
        try { await catalog.SetJobLastCompletionAsync(job.Id, end.UtcDateTime, ct); }
        catch (MySqlConnector.MySqlException e)
        {
            // The report must still go out: it is how the admin learns that the catalog died mid-run.
            catalogLost = true;
            warnings.Add($"could not record the job's completion in the catalog: {e.Message}");
        }
        WriteLastBk(job, end);
        return new JobReport
        {
            JobName = job.Name,
            Result = catalogLost || lockLost || results.Any(r => r.Result == ImageResult.Failed) ? JobResult.Failed : JobResult.Success,
            Images = results, Warnings = warnings, Start = start, End = end,
        };
    }

    /// <summary>
    /// Plans every disk of the VM, then takes all its snapshots back to back inside one consistency window
    /// (pre-hook, freeze … thaw, post-hook: issue #14), then exports each. Planning, base-file checks and
    /// exports stay outside the window so the guest is stalled only for the snapshots.
    /// </summary>
    private async Task<List<ImageReport>> BackupVmAsync(JobSettings job, List<JobImage> disks, List<string> warnings, CancellationToken ct)
    {
        var reports = new List<ImageReport>();
        var planned = new List<(ImagePlan Plan, DateTimeOffset Start)>();
        foreach (var disk in disks)
        {
            var t0 = time.GetUtcNow();
            ImagePlan? plan = null;
            try
            {
                var target = ImageTarget.From(disk, ceph.Pool);
                await catalog.SetImageLastRunAsync(disk.LinkId, t0.UtcDateTime, ct);
                plan = await _planning.PlanAsync(job, target, ct);
                await _exporter.CleanLeftoversAsync(plan, ct);
                planned.Add((plan, t0));
            }
            catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException)
            {
                reports.Add(await FailedAsync(job, disk, plan, t0, e.Message, ct));
            }
        }
        if (planned.Count == 0) return reports;

        // ---- consistency window (issue #14): nothing but the snapshots between EnterAsync and dispose ----
        var scope = new VmScope(job.Name, planned[0].Plan.Target.Vm,
            disks.Select(d => d.LibvirtName).FirstOrDefault(n => !string.IsNullOrWhiteSpace(n)) ?? planned[0].Plan.Target.Vm,
            planned.Select(p => p.Plan.Target.Ref.ToString()).ToList(), planned.Select(p => p.Plan.Point.RestorePoint).ToList());
        var ready = new List<(ImagePlan Plan, DateTimeOffset Start)>();
        var failed = new List<(ImagePlan Plan, DateTimeOffset Start, string Error)>();
        var window = await _consistency.EnterAsync(scope, ct);
        await using (window)
        {
            foreach (var (plan, t0) in planned)
            {
                if (window.SkipReason is { } skip) { failed.Add((plan, t0, skip)); continue; }
                try
                {
                    await rbd.SnapCreateAsync(plan.Target.Ref, plan.Snapshot, ct);
                    ready.Add((plan, t0));
                }
                catch (CephBackupException e) { failed.Add((plan, t0, e.Message)); }
            }
        }
        warnings.AddRange(window.Warnings);
        foreach (var (plan, t0, error) in failed)
            reports.Add(await FailedAsync(job, plan.Target.Link, plan, t0, error, ct));
        if (ready.Count == 0) return reports;
        var capture = new VmCapture(window.Consistency, await _consistency.CaptureDefinitionAsync(scope, warnings, ct));
        // ---- end of the consistency window part ----

        foreach (var (plan, t0) in ready)
            reports.Add(await ExportAsync(job, plan, t0, capture, ct));
        return reports;
    }

    private async Task<ImageReport> ExportAsync(JobSettings job, ImagePlan plan, DateTimeOffset t0, VmCapture capture, CancellationToken ct)
    {
        try
        {
            var point = await _exporter.ExportAsync(job, plan, t0.UtcDateTime, ct, capture);
            await catalog.RecordPointAsync(point, Log(job, plan, t0, point.EndedAt, "SUCCESS", null), ct);
            var r = new ImageReport
            {
                Vm = plan.Target.Vm, Image = plan.Target.ImageName, Start = t0, End = new DateTimeOffset(point.EndedAt, TimeSpan.Zero),
                SizeBytes = point.SizeBytes, Type = TypeLabel(plan.Point.Type), RestorePoint = plan.Point.RestorePoint,
                Result = ImageResult.Success, Detail = plan.Point.Reason, Consistency = point.Consistency,
            };
            log.Information("{Vm}/{Image}: {Type} {RestorePoint} {Bytes} bytes in {Seconds:F1}s ({Rate} MB/s) SUCCESS ({Reason})",
                r.Vm, r.Image, r.Type, r.RestorePoint, r.SizeBytes, r.Duration.TotalSeconds, r.MegabytesPerSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-", plan.Point.Reason);
            return r;
        }
        catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException or InvalidDataException
                                      or MySqlConnector.MySqlException or OperationCanceledException)
        {
            await _exporter.UndoAsync(plan);
            if (e is OperationCanceledException) throw;
            return await FailedAsync(job, plan.Target.Link, plan, t0, e.Message, CancellationToken.None);
        }
    }

    private async Task<ImageReport> FailedAsync(JobSettings job, JobImage disk, ImagePlan? plan, DateTimeOffset t0, string error, CancellationToken ct)
    {
        var end = time.GetUtcNow();
        var vm = Names.Printable(disk.Vm);
        var image = Names.Printable(disk.Image);
        log.Error("{Vm}/{Image}: {Type} {RestorePoint} FAIL: {Error}", vm, image, plan is null ? "-" : TypeLabel(plan.Point.Type), plan?.Point.RestorePoint ?? "-", error);
        try
        {
            if (plan is not null) await catalog.RecordFailureAsync(disk.LinkId, Log(job, plan, t0, end.UtcDateTime, "FAIL", error), ct);
        }
        catch (Exception e) when (e is MySqlConnector.MySqlException or CephBackupException or InvalidOperationException)
        {
            log.Error("Could not record the failure of {Vm}/{Image} in the catalog: {Error}", vm, image, e.Message);
        }
        return new ImageReport
        {
            Vm = vm, Image = image, Start = t0, End = end, Type = plan is null ? "-" : TypeLabel(plan.Point.Type),
            RestorePoint = plan?.Point.RestorePoint, Result = ImageResult.Failed, Detail = error,
        };
    }

    private async Task<JobReport> PlanOnlyAsync(JobSettings job, IReadOnlyList<JobImage> images, ScheduleDecision decision,
        TextWriter planOut, DateTimeOffset start, CancellationToken ct)
    {
        await planOut.WriteLineAsync($"job {job.Name}: run ({decision.Reason}), mode {job.Mode.ToString().ToLowerInvariant()}, max_inc {job.MaxInc}, prefix {job.Prefix}");
        var reports = new List<ImageReport>();
        foreach (var disk in images)
        {
            try
            {
                var plan = await _planning.PlanAsync(job, ImageTarget.From(disk, ceph.Pool), ct);
                await planOut.WriteLineAsync($"  {disk.Vm}/{disk.Image}: {TypeLabel(plan.Point.Type)} {plan.Point.RestorePoint} snapshot {plan.Snapshot} from {plan.FromSnapshot ?? "-"} ({plan.Point.Reason})");
                reports.Add(new ImageReport { Vm = disk.Vm!, Image = disk.Image!, Type = TypeLabel(plan.Point.Type), RestorePoint = plan.Point.RestorePoint, Result = ImageResult.Planned, Detail = plan.Point.Reason, Start = start, End = start });
            }
            catch (CephBackupException e)
            {
                await planOut.WriteLineAsync($"  {Names.Printable(disk.Vm)}/{Names.Printable(disk.Image)}: cannot plan: {e.Message}");
                reports.Add(new ImageReport { Vm = Names.Printable(disk.Vm), Image = Names.Printable(disk.Image), Result = ImageResult.Failed, Detail = e.Message, Start = start, End = start });
            }
        }
        return new JobReport { JobName = job.Name, Result = JobResult.Success, Images = reports, Start = start, End = time.GetUtcNow() };
    }

    /// <summary>The marker the target-side lock scripts (TARGETSIDE/bklock) compare against.</summary>
    private void WriteLastBk(JobSettings job, DateTimeOffset end)
    {
        try
        {
            Directory.CreateDirectory(job.Layout.JobRoot);
            File.WriteAllText(Path.Combine(job.Layout.JobRoot, "lastbk.txt"),
                TimeZoneInfo.ConvertTime(end, time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not write lastbk.txt for job {Job}: {Error}", job.Name, e.Message);
        }
    }

    private static BackupLogEntry Log(JobSettings job, ImagePlan plan, DateTimeOffset t0, DateTime end, string result, string? error) => new()
    {
        Job = job.Name, Vm = plan.Target.Vm, TimeStart = t0.UtcDateTime, TimeEnd = end, Result = result, Error = error,
        Type = plan.Point.Type switch { PointType.Full => "full", PointType.Incremental => "inc", _ => "diff" },
        Path = Path.GetDirectoryName(plan.PointFile) + "/",
        BackupCmd = $"rbd export-diff --no-progress {(plan.FromSnapshot is null ? "" : $"--from-snap {plan.FromSnapshot} ")}{plan.Target.Ref.At(plan.Snapshot)} -",
    };

    public static string TypeLabel(PointType t) => t switch { PointType.Full => "FULL", PointType.Incremental => "INC", _ => "DIFF" };

    private ImageRef? TryRef(string image)
    {
        try { return ImageRef.Parse(image, ceph.Pool); } catch (CephBackupException) { return null; }
    }
}
