using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record ExecRequest
{
    /// <summary>Only this job (by name); null = every enabled job.</summary>
    public string? JobName { get; init; }
    /// <summary>Evaluate the schedule for this day instead of today (local time).</summary>
    public DateOnly? Date { get; init; }
    public bool DryRun { get; init; }
    /// <summary>exec --worker: share each job's images with the other workers of its run (docs/SCALING.md).</summary>
    public bool Worker { get; init; }
}

public sealed record ExecOutcome(IReadOnlyList<JobReport> Jobs, bool ReportFailed, bool Cancelled = false)
{
    /// <summary>Most severe first: cancelled, a failed image, a job already running, a bad job row, an undelivered report.</summary>
    public ExitCode ExitCode =>
        Cancelled ? ExitCode.Cancelled
        : Jobs.Any(j => j.Result is JobResult.Failed or JobResult.NotMounted || j.Images.Any(i => i.Result == ImageResult.Failed)) ? ExitCode.PartialFailure
        : Jobs.Any(j => j.Result == JobResult.AlreadyRunning) ? ExitCode.AlreadyRunning
        : Jobs.Any(j => j.Result == JobResult.ConfigError) ? ExitCode.ConfigError
        : ReportFailed ? ExitCode.ReportNotDelivered
        : ExitCode.Ok;
}

/// <summary>Who runs: recorded with the lock so "already running" can name the holder.</summary>
public sealed record HostIdentity(string Host, int Pid);

/// <summary>
/// <c>cephbackup exec</c>: runs every due job, one after another, and hands each job's report to the
/// reporters as soon as the job ends. Returns data; rendering (text, mail, JSON, metrics) is the reporters'.
/// </summary>
public sealed class BackupService(BackupDeps deps, IJobLockProvider locks, IReadOnlyList<IJobReporter> reporters,
    CephOptions ceph, BackupOptions options, MountTable mounts, HostIdentity host, IImageClaims? claims = null)
{
    private static readonly TimeSpan ReportBudget = TimeSpan.FromSeconds(60);
    private ILogger Log => deps.Log;

    public async Task<ExecOutcome> RunAsync(ExecRequest req, CancellationToken ct)
    {
        var jobs = await deps.Catalog.GetJobsAsync(enabledOnly: req.JobName is null, ct);
        if (req.JobName is not null)
        {
            jobs = jobs.Where(j => j.Name == req.JobName).ToList();
            if (jobs.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.JobName)}'");
        }
        var today = req.Date ?? DateOnly.FromDateTime(deps.Time.GetLocalNow().DateTime);
        var prefixes = await PrefixOwnersAsync(ct);
        var reports = new List<JobReport>();
        var reportFailed = false;
        foreach (var job in jobs)
        {
            if (ct.IsCancellationRequested) break;
            var runner = new JobBackup(new BackupDeps(deps.Catalog, deps.Rbd, deps.Time, Log.ForContext("Job", job.Name)) { Consistency = deps.Consistency, Progress = deps.Progress }, locks, ceph, options, mounts, host,
                req.Worker ? claims ?? throw new InvalidOperationException("exec --worker needs image claims") : null);
            var report = await runner.RunAsync(job, today, req.DryRun, prefixes, ct);
            reports.Add(report);
            if (report.Result == JobResult.Skipped || req.DryRun) continue;
            reportFailed |= !await DeliverAsync(report, ct);
        }
        return new ExecOutcome(reports, reportFailed, ct.IsCancellationRequested);
    }

    /// <summary>A cancelled run still reports what it finished, within its own short deadline.</summary>
    private async Task<bool> DeliverAsync(JobReport report, CancellationToken ct)
    {
        using var budget = ct.IsCancellationRequested ? new CancellationTokenSource(ReportBudget) : CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ok = true;
        foreach (var r in reporters)
        {
            try { await r.ReportAsync(report, budget.Token); }
            catch (CephBackupException e) when (e.Code == ExitCode.ReportNotDelivered)
            {
                ok = false;
                Log.Error("Report for job {Job} not delivered: {Error}", report.JobName, e.Message);
            }
        }
        return ok;
    }

    /// <summary>(pool/image, effective prefix) → job ids: two jobs making the same snapshot names on one image collide.</summary>
    private async Task<Dictionary<(string, string), List<int>>> PrefixOwnersAsync(CancellationToken ct)
    {
        var owners = new Dictionary<(string, string), List<int>>();
        foreach (var job in await deps.Catalog.GetJobsAsync(enabledOnly: false, ct))
        {
            var prefix = SnapshotNames.EffectivePrefix(job);
            foreach (var img in await deps.Catalog.GetJobImagesAsync(job.Id, ct))
            {
                if (img.Image is null) continue;
                ImageRef r;
                try { r = ImageRef.Parse(img.Image, ceph.Pool); } catch (CephBackupException) { continue; }
                var key = (r.ToString(), prefix);
                if (!owners.TryGetValue(key, out var ids)) owners[key] = ids = [];
                if (!ids.Contains(job.Id)) ids.Add(job.Id);
            }
        }
        return owners;
    }
}
