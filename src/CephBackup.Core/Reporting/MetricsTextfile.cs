using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;
using Prometheus;
using Serilog;

namespace CephBackup.Core.Reporting;

/// <summary>
/// Writes <c>&lt;dir&gt;/cephbackup.prom</c> for node_exporter's textfile collector from the catalog's state
/// (every job and image, not only the ones this run touched), so a host that stopped running backups keeps
/// exporting growing ages instead of vanishing. Built with prometheus-net's registry and text exporter.
/// </summary>
public sealed class MetricsTextfile(string? dir, StatusService status, ILogger log)
{
    public const string FileName = "cephbackup.prom";

    /// <summary>Off when no directory is configured. Never fails the verb: a metrics problem is logged as an error.</summary>
    public async Task WriteAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(dir)) return;
        try
        {
            var report = await status.RunAsync(new StatusRequest(), ct);
            await WriteAtomicallyAsync(dir, report, ct);
            log.Debug("Metrics written to {File}", Path.Combine(dir, FileName));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Error("Metrics file {File} not written: {Error}", Path.Combine(dir, FileName), e.Message);
        }
    }

    /// <summary>Temporary dot-file (node_exporter reads *.prom only), fsync, rename, fsync of the folder.</summary>
    public static async Task WriteAtomicallyAsync(string dir, StatusReport report, CancellationToken ct)
    {
        var tmp = Path.Combine(dir, "." + FileName + ".tmp");
        await using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await ExportAsync(report, f, ct);
            await f.FlushAsync(ct);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, Path.Combine(dir, FileName), overwrite: true);
        Posix.FsyncDirectory(dir);
    }

    public static async Task ExportAsync(StatusReport report, Stream output, CancellationToken ct)
    {
        var registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(registry);
        string[] img = ["job", "vm", "image"];
        var lastSuccess = f.CreateGauge("cephbackup_last_success_timestamp_seconds", "End time of the newest restorable point of the image (Unix time).", img);
        var lastRun = f.CreateGauge("cephbackup_last_run_timestamp_seconds", "Start time of the job's last exec run (Unix time).", "job");
        var lastRunOk = f.CreateGauge("cephbackup_last_run_success", "1 when the job's last run completed and no image failed, else 0.", "job");
        var pointSize = f.CreateGauge("cephbackup_point_size_bytes", "Stored size of the newest point of each type.", "job", "vm", "image", "type");
        var duration = f.CreateGauge("cephbackup_backup_duration_seconds", "Duration of the newest restorable point's backup.", img);
        var chain = f.CreateGauge("cephbackup_chain_points", "Points in the image's newest chain, the full included.", img);
        var stored = f.CreateGauge("cephbackup_stored_bytes", "Bytes of all restorable points of the job.", "job");
        var overdue = f.CreateGauge("cephbackup_overdue", "1 when the last success is older than the job's schedule implies (cephbackup status).", img);
        var verified = f.CreateGauge("cephbackup_verify_last_success_timestamp_seconds", "Newest time a point of the image passed verify (Unix time).", img);
        var enabled = f.CreateGauge("cephbackup_job_enabled", "1 when the job is enabled.", "job");

        foreach (var j in report.Jobs)
        {
            var job = j.Job.Name ?? $"#{j.Job.Id}";
            enabled.WithLabels(job).Set(j.Enabled ? 1 : 0);
            stored.WithLabels(job).Set(j.StoredBytes);
            if (j.Job.LastRun is { } lr) lastRun.WithLabels(job).Set(Unix(lr));
            if (j.LastRunOk is { } ok) lastRunOk.WithLabels(job).Set(ok ? 1 : 0);
            foreach (var i in j.Images)
            {
                string[] l = [job, i.Vm, i.Image];
                overdue.WithLabels(l).Set(i.Verdict.Overdue ? 1 : 0);
                chain.WithLabels(l).Set(i.ChainPoints);
                if (i.LastSuccess is { } p)
                {
                    lastSuccess.WithLabels(l).Set(Unix(p.EndedAt));
                    duration.WithLabels(l).Set(Math.Max(0, (p.EndedAt - p.StartedAt).TotalSeconds));
                }
                foreach (var (type, size) in i.LastSizeByType) pointSize.WithLabels(job, i.Vm, i.Image, type.ToDb()).Set(size);
                if (i.LastVerified is { } v) verified.WithLabels(l).Set(Unix(v));
            }
        }
        await registry.CollectAndExportAsTextAsync(output, ct);
    }

    private static double Unix(DateTime utc) => (DateTime.SpecifyKind(utc, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds;
}
