using System.Globalization;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Jobs;

/// <summary>
/// One job of an exec run, orchestration only: schedule, mount check, lock, then the images fanned out
/// (<see cref="ImageBackup"/> does each image's work). VMs proceed independently; each VM's disks are
/// planned, then snapshotted back to back (a crash-consistent set), then exported, at most
/// <c>Parallelism</c> exports at once. One image's failure never stops another.
/// </summary>
internal sealed class JobBackup(BackupDeps deps, IJobLockProvider locks, CephOptions ceph, BackupOptions options,
    MountTable mounts, HostIdentity host)
{
    private readonly TimeProvider _time = deps.Time;

    public async Task<JobReport> RunAsync(BackupJob row, DateOnly day, bool dryRun,
        IReadOnlyDictionary<(string, string), List<int>> prefixOwners, CancellationToken ct)
    {
        var start = _time.GetUtcNow();
        var name = Names.IsValid(row.Name) ? row.Name! : $"job {row.Id}";
        try
        {
            return await RunCheckedAsync(row, name, day, dryRun, prefixOwners, start, ct);
        }
        catch (CephBackupException e)
        {
            // The catalog (or Ceph) failed outside any one image: this job fails, the next job is still tried.
            return Fail(name, start, JobResult.Failed, e.Message);
        }
    }

    private async Task<JobReport> RunCheckedAsync(BackupJob row, string name, DateOnly day, bool dryRun,
        IReadOnlyDictionary<(string, string), List<int>> prefixOwners, DateTimeOffset start, CancellationToken ct)
    {
        JobSettings job;
        try { job = JobSettings.From(row); }
        catch (CephBackupException e) { return Fail(name, start, JobResult.ConfigError, e.Message); }

        var decision = Schedule.Evaluate(day, await deps.Catalog.GetDaysAsync(job.Id, ct), await deps.Catalog.GetWeeksAsync(job.Id, ct));
        if (!decision.Run)
        {
            deps.Log.Information("Job {Job} skipped: {Reason}", job.Name, decision.Reason);
            return new JobReport { JobName = job.Name, Result = JobResult.Skipped, Message = decision.Reason, Start = start, End = start };
        }
        if (row.CheckMount != 0)
        {
            var why = string.IsNullOrWhiteSpace(row.MountPoint) ? "checkmount is set but mountpoint is empty" : mounts.Check(row.MountPoint, job.Layout.JobRoot);
            if (why is not null) return Fail(name, start, JobResult.NotMounted, $"Mountpoint not mounted: {why}");
        }

        var (links, warnings) = OneLinkPerImage(await deps.Catalog.GetJobImagesAsync(job.Id, ct));
        var collision = links.Select(i => TryRef(i.Image)).FirstOrDefault(r => r is not null && prefixOwners.TryGetValue((r, job.Prefix), out var ids) && ids.Count > 1);
        if (collision is not null)
            return Fail(name, start, JobResult.ConfigError, $"snap-prefix '{job.Prefix}' is used by another job on image {collision}: snapshot names would collide");

        var parallel = Math.Max(1, row.MaxParallel is > 0 and var m ? Math.Min(m, options.Parallelism) : options.Parallelism);
        var summary = new JobPlanSummary(decision.Reason, job.Mode.ToString().ToLowerInvariant(), job.MaxInc, job.Prefix, parallel);
        if (dryRun) return await PlanOnlyAsync(job, links, warnings, summary, start, ct);

        await using var jobLock = await locks.TryAcquireAsync(job.Id, host.Host, host.Pid, start.UtcDateTime, ct);
        if (jobLock is null)
        {
            var h = await locks.GetHolderAsync(job.Id, ct);
            var who = h is null ? "another process" : $"host {h.Host} pid {h.Pid} since {h.StartedAt:yyyy-MM-dd HH:mm:ss} UTC";
            return Fail(name, start, JobResult.AlreadyRunning, $"same JOB already running: {who}");
        }
        if (row.LastRun is { } lr && (row.LastCompletion is null || lr > row.LastCompletion))
            warnings.Add($"the previous run started {lr:yyyy-MM-dd HH:mm:ss} UTC never completed (crash or kill); this run continues normally");

        await deps.Catalog.SetJobLastRunAsync(job.Id, start.UtcDateTime, ct);
        var fanOut = new ImageFanOut(deps, job, ceph.Pool, jobLock, parallel);
        var results = await fanOut.RunAsync(links, ct);
        warnings.AddRange(fanOut.Warnings);

        var end = _time.GetUtcNow();
        var catalogLost = false;
        try { await deps.Catalog.SetJobLastCompletionAsync(job.Id, end.UtcDateTime, CancellationToken.None); }
        catch (CephBackupException e)
        {
            // The report must still go out: it is how the admin learns that the catalog died mid-run.
            catalogLost = true;
            warnings.Add($"could not record the job's completion in the catalog: {e.Message}");
        }
        WriteLastBk(job, end);
        var failed = catalogLost || fanOut.LockLost || ct.IsCancellationRequested || results.Any(r => r.Result == ImageResult.Failed);
        return new JobReport
        {
            JobName = job.Name, Result = failed ? JobResult.Failed : JobResult.Success, Plan = summary,
            Message = ct.IsCancellationRequested ? "cancelled (SIGINT/SIGTERM): unfinished points were undone; finished points are listed" : null,
            Cancelled = ct.IsCancellationRequested, Images = results, Warnings = warnings, Start = start, End = end,
        };
    }

    /// <summary>
    /// A chain belongs to (job, pool/image): an image linked under two VMs of the job is backed up once, under
    /// the first link (VM name order), and the report says so.
    /// </summary>
    private (List<JobImage>, List<string>) OneLinkPerImage(IReadOnlyList<JobImage> links)
    {
        var kept = new List<JobImage>();
        var warnings = new List<string>();
        foreach (var g in links.GroupBy(l => TryRef(l.Image) ?? l.Image ?? ""))
        {
            kept.Add(g.First());
            if (g.Count() > 1)
                warnings.Add($"image {g.Key} is linked to several VMs of this job ({string.Join(", ", g.Select(l => Names.Printable(l.Vm)))}): backed up once, under {Names.Printable(g.First().Vm)}");
        }
        foreach (var w in warnings) deps.Log.Warning("{Warning}", w);
        return (kept, warnings);
    }

    private async Task<JobReport> PlanOnlyAsync(JobSettings job, IReadOnlyList<JobImage> links, List<string> warnings,
        JobPlanSummary summary, DateTimeOffset start, CancellationToken ct)
    {
        var reports = new List<ImageReport>();
        foreach (var link in links)
        {
            var unit = new ImageBackup(job, link, ceph.Pool, deps, NoFence.Instance);
            try
            {
                var plan = await deps.Planning.PlanAsync(job, ImageTarget.From(link, ceph.Pool), ct);
                reports.Add(new ImageReport
                {
                    Vm = link.Vm!, Image = link.Image!, Type = ImageBackup.TypeLabel(plan.Point.Type), RestorePoint = plan.Point.RestorePoint,
                    Snapshot = plan.Snapshot, FromSnapshot = plan.FromSnapshot, Result = ImageResult.Planned, Detail = plan.Point.Reason, Start = start, End = start,
                });
            }
            catch (CephBackupException e)
            {
                reports.Add(unit.Report(ImageResult.Failed, e.Message) with { Start = start, End = start });
            }
        }
        return new JobReport { JobName = job.Name, Result = JobResult.Success, Plan = summary, Images = reports, Warnings = warnings, Start = start, End = _time.GetUtcNow() };
    }

    private JobReport Fail(string name, DateTimeOffset start, JobResult result, string msg)
    {
        deps.Log.Error("Job {Job}: {Message}", name, msg);
        return new JobReport { JobName = name, Result = result, Message = msg, Start = start, End = _time.GetUtcNow() };
    }

    /// <summary>The marker the target-side lock scripts (TARGETSIDE/bklock) compare against.</summary>
    private void WriteLastBk(JobSettings job, DateTimeOffset end)
    {
        try
        {
            Directory.CreateDirectory(job.Layout.JobRoot);
            File.WriteAllText(Path.Combine(job.Layout.JobRoot, "lastbk.txt"),
                TimeZoneInfo.ConvertTime(end, _time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            deps.Log.Warning("Could not write lastbk.txt for job {Job}: {Error}", job.Name, e.Message);
        }
    }

    private string? TryRef(string? image)
    {
        try { return image is null ? null : ImageRef.Parse(image, ceph.Pool).ToString(); } catch (CephBackupException) { return null; }
    }
}
