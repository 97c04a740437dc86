using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
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
}

public sealed record ExecOutcome(IReadOnlyList<JobReport> Jobs, bool ReportFailed)
{
    /// <summary>Most severe first: a failed image, a job already running, a bad job row, an undelivered report.</summary>
    public ExitCode ExitCode =>
        Jobs.Any(j => j.Result is JobResult.Failed or JobResult.NotMounted || j.Images.Any(i => i.Result == ImageResult.Failed)) ? ExitCode.PartialFailure
        : Jobs.Any(j => j.Result == JobResult.AlreadyRunning) ? ExitCode.AlreadyRunning
        : Jobs.Any(j => j.Result == JobResult.ConfigError) ? ExitCode.ConfigError
        : ReportFailed ? ExitCode.ReportNotDelivered
        : ExitCode.Ok;
}

/// <summary>Who runs: recorded with the lock so "already running" can name the holder.</summary>
public sealed record HostIdentity(string Host, int Pid);

/// <summary><c>cephbackup exec</c>: runs every due job, one report mail per job.</summary>
public sealed class BackupService(ICatalog catalog, IJobLockProvider locks, IRbd rbd, IMailSender mail,
    CephOptions ceph, MountTable mounts, TimeProvider time, HostIdentity host, ILogger log, ConsistencyService? consistency = null)
{
    public async Task<ExecOutcome> RunAsync(ExecRequest req, TextWriter planOut, CancellationToken ct)
    {
        var jobs = await catalog.GetJobsAsync(enabledOnly: req.JobName is null, ct);
        if (req.JobName is not null)
        {
            jobs = jobs.Where(j => j.Name == req.JobName).ToList();
            if (jobs.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.JobName)}'");
        }
        var today = req.Date ?? DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        var prefixes = await PrefixOwnersAsync(ct);
        var reports = new List<JobReport>();
        var reportFailed = false;
        foreach (var job in jobs)
        {
            ct.ThrowIfCancellationRequested();
            var runner = new JobBackup(catalog, locks, rbd, ceph, mounts, time, host, log.ForContext("Job", job.Name), consistency);
            var report = await runner.RunAsync(job, today, req.DryRun, prefixes, planOut, ct);
            reports.Add(report);
            if (report.Result == JobResult.Skipped || req.DryRun) continue;
            try { await mail.SendAsync(ReportFormatter.ToMail(report, time.LocalTimeZone), ct); }
            catch (CephBackupException e) when (e.Code == ExitCode.ReportNotDelivered)
            {
                reportFailed = true;
                log.Error("Report for job {Job} not delivered: {Error}", job.Name, e.Message);
            }
        }
        return new ExecOutcome(reports, reportFailed);
    }

    /// <summary>(pool/image, effective prefix) → job ids: two jobs making the same snapshot names on one image collide.</summary>
    private async Task<Dictionary<(string, string), List<int>>> PrefixOwnersAsync(CancellationToken ct)
    {
        var owners = new Dictionary<(string, string), List<int>>();
        foreach (var job in await catalog.GetJobsAsync(enabledOnly: false, ct))
        {
            var prefix = SnapshotNames.EffectivePrefix(job);
            foreach (var img in await catalog.GetJobImagesAsync(job.Id, ct))
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
