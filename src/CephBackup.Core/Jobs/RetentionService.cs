using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record RetentionRequest
{
    /// <summary>Only this job (by name); null = every job, disabled ones included (as the PHP tool did).</summary>
    public string? JobName { get; init; }
    public bool DryRun { get; init; }
    /// <summary>Send the report even when nothing was deleted or failed.</summary>
    public bool AlwaysReport { get; init; }
}

public sealed record RetentionOutcome(RetentionReport Report, bool ReportFailed)
{
    public ExitCode ExitCode =>
        Report.Rows.Any(r => r.Result == RetentionResult.Failed) ? ExitCode.PartialFailure
        : Report.Rows.Any(r => r.Result == RetentionResult.ConfigError) ? ExitCode.ConfigError
        : ReportFailed ? ExitCode.ReportNotDelivered
        : ExitCode.Ok;
}

/// <summary>
/// <c>cephbackup retention</c>: per image, keeps the newest <c>retention</c> chains with a successful full
/// (<see cref="RetentionPolicy"/>) and deletes older chain folders with <see cref="ChainDeleter"/>.
/// It takes no job lock: it never touches the chain the next backup continues nor anything newer,
/// so it can run while exec writes. Ceph snapshots are left to trimsnap.
/// </summary>
public sealed class RetentionService(ICatalog catalog, IMailSender mail, ILogger log)
{
    internal ChainDeleter Deleter { get; init; } = new(catalog, log);

    public async Task<RetentionOutcome> RunAsync(RetentionRequest req, TextWriter output, CancellationToken ct)
    {
        var jobs = await catalog.GetJobsAsync(enabledOnly: false, ct);
        if (req.JobName is not null)
        {
            jobs = jobs.Where(j => j.Name == req.JobName).ToList();
            if (jobs.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.JobName)}'");
        }
        var rows = new List<RetentionRow>();
        foreach (var job in jobs)
        {
            ct.ThrowIfCancellationRequested();
            var jobRows = await RunJobAsync(job, req.DryRun, ct);
            foreach (var r in jobRows) await output.WriteLineAsync(r.ToString());
            rows.AddRange(jobRows);
        }

        var report = new RetentionReport(rows);
        var reportFailed = false;
        if (!req.DryRun && (report.AnythingHappened || req.AlwaysReport))
        {
            try { await mail.SendAsync(RetentionReportFormatter.ToMail(report), ct); }
            catch (CephBackupException e) when (e.Code == ExitCode.ReportNotDelivered)
            {
                reportFailed = true;
                log.Error("Retention report not delivered: {Error}", e.Message);
            }
        }
        return new RetentionOutcome(report, reportFailed);
    }

    private async Task<List<RetentionRow>> RunJobAsync(BackupJob job, bool dryRun, CancellationToken ct)
    {
        var name = Names.IsValid(job.Name) ? job.Name! : $"job {job.Id}";
        BackupLayout layout;
        int retention;
        try
        {
            layout = BackupLayout.For(job.Path, job.Name);
            retention = RetentionPolicy.Validate(job.Retention);
        }
        catch (CephBackupException e)
        {
            log.Error("Retention of job {Job}: {Error}", name, e.Message);
            return [new RetentionRow { Job = name, Result = RetentionResult.ConfigError, Detail = e.Message }];
        }

        var points = await catalog.GetPointsAsync(job.Id, null, null, ct);
        var rows = new List<RetentionRow>();
        // A chain belongs to (job, image): points made under an earlier VM name are this image's too, and an
        // image linked under two VMs is one image.
        foreach (var img in (await catalog.GetJobImagesAsync(job.Id, ct)).DistinctBy(i => i.Image))
        {
            var vm = Names.Printable(img.Vm);
            var image = Names.Printable(img.Image);
            try
            {
                var mine = points.Where(p => p.Image == img.Image).ToList();
                rows.AddRange(await RunImageAsync(name, layout, vm, image, mine, retention, dryRun, ct));
            }
            catch (Exception e) when (e is CephBackupException or IOException or UnauthorizedAccessException)
            {
                log.Error("Retention of {Job} {Vm}/{Image}: {Error}", name, vm, image, e.Message);
                rows.Add(new RetentionRow { Job = name, Vm = vm, Image = image, Result = RetentionResult.Failed, Detail = e.Message });
            }
        }
        return rows;
    }

    private async Task<List<RetentionRow>> RunImageAsync(string job, BackupLayout layout, string vm, string image,
        List<BackupPoint> points, int retention, bool dryRun, CancellationToken ct)
    {
        var imageDir = layout.ImageDir(vm, image);
        var rows = new List<RetentionRow>();
        RetentionRow Row(int chain, RetentionResult result, string detail, long freed = 0) =>
            new() { Job = job, Vm = vm, Image = image, Chain = chain, Result = result, Detail = detail, BytesFreed = freed };

        // An interrupted deletion is finished before anything else is decided.
        var interrupted = points.Where(p => p.Status == PointStatus.Deleting).Select(p => p.Chain).ToHashSet();
        foreach (var chain in interrupted.Order())
        {
            var dir = ChainDir(layout, vm, image, chain, points);
            if (dryRun) { rows.Add(Row(chain, RetentionResult.WouldDelete, "finish a deletion an earlier run started")); continue; }
            var r = await Deleter.DeleteAsync(dir, points.Where(p => p.Chain == chain).ToList(), finishing: true, ct);
            rows.Add(Row(chain, Map(r.Result), "finishing an interrupted deletion: " + r.Detail, r.BytesFreed));
            Log(job, vm, image, chain, r);
        }

        var live = points.Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified && !interrupted.Contains(p.Chain)).ToList();
        var current = live.Count == 0 ? (int?)null : live.Max(p => p.Chain);
        var chains = BackupLayout.ChainsOnDisk(imageDir).Concat(live.Select(p => p.Chain)).Distinct()
            .Where(c => !interrupted.Contains(c))
            .Select(c => new ChainInfo(c,
                live.Any(p => p.Chain == c && p.Point == 0 && p.Type == PointType.Full),
                live.Count(p => p.Chain == c), c == current))
            .ToList();

        foreach (var d in RetentionPolicy.Apply(chains, retention))
        {
            if (d.Action == ChainAction.Keep) { rows.Add(Row(d.Chain, RetentionResult.Kept, d.Reason)); continue; }
            if (dryRun) { rows.Add(Row(d.Chain, RetentionResult.WouldDelete, d.Reason)); continue; }
            var r = await Deleter.DeleteAsync(ChainDir(layout, vm, image, d.Chain, points), points.Where(p => p.Chain == d.Chain).ToList(), finishing: false, ct);
            rows.Add(Row(d.Chain, Map(r.Result), r.Result == ChainDeletion.Deleted ? $"{d.Reason}; {r.Detail}" : r.Detail, r.BytesFreed));
            Log(job, vm, image, d.Chain, r);
        }
        return rows.OrderBy(r => r.Chain).ToList();
    }

    /// <summary>The folder a chain lives in: where its recorded files are (an earlier VM name's folder after a rename), else the current VM's.</summary>
    private static string ChainDir(BackupLayout layout, string vm, string image, int chain, IEnumerable<BackupPoint> points) =>
        points.Where(p => p.Chain == chain).Select(p => Path.GetDirectoryName(p.FilePath)!).FirstOrDefault(layout.Contains)
        ?? layout.ChainDir(vm, image, chain);

    private void Log(string job, string vm, string image, int chain, ChainDeletionResult r)
    {
        if (r.Result == ChainDeletion.Deleted)
            log.Information("Retention {Job} {Vm}/{Image}: chain {Chain:D6} deleted, {Bytes} bytes freed", job, vm, image, chain, r.BytesFreed);
        else
            log.Warning("Retention {Job} {Vm}/{Image}: chain {Chain:D6} {Result}: {Detail}", job, vm, image, chain, r.Result, r.Detail);
    }

    private static RetentionResult Map(ChainDeletion r) => r switch
    {
        ChainDeletion.Deleted => RetentionResult.Deleted,
        ChainDeletion.KeptImmutable => RetentionResult.KeptImmutable,
        _ => RetentionResult.Failed,
    };
}
