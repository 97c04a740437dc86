using CephBackup.Core.Jobs;

namespace CephBackup.Core.Reporting;

/// <summary>
/// The <c>--json</c> documents of retention, trimsnap and verify (docs/JSON.md): the data of their text
/// output, with exact bytes and explicit result names instead of the labels people read.
/// </summary>
public static class MaintenanceJson
{
    public static string Retention(RetentionOutcome o, bool dryRun)
    {
        var rows = o.Report.Rows;
        return OutputJson.Serialize(new
        {
            dryRun,
            exitCode = (int)o.ExitCode,
            o.ReportFailed,
            deleted = rows.Count(r => r.Result == RetentionResult.Deleted),
            failed = rows.Count(r => r.Result is RetentionResult.Failed or RetentionResult.ConfigError),
            bytesFreed = rows.Sum(r => r.BytesFreed),
            chains = rows.Select(r => new { r.Job, r.Vm, r.Image, r.Chain, r.Result, r.BytesFreed, r.Detail }),
        });
    }

    public static string TrimSnap(TrimSnapOutcome o, bool dryRun) => OutputJson.Serialize(new
    {
        dryRun,
        exitCode = (int)o.ExitCode,
        deleted = o.Images.Sum(i => i.Deleted),
        failed = o.Images.Sum(i => i.Failed),
        jobErrors = o.JobErrors.Select(e => new { e.Job, exitCode = (int)e.Code, e.Message }),
        images = o.Images.Select(i => new
        {
            i.Job, i.Vm, i.Image, i.Deleted, i.Kept, i.Protected, i.Failed, i.Error,
            warnings = i.Warnings ?? [],
            snapshots = (i.Snapshots ?? []).Select(s => new { s.Name, s.Result, s.Reason, s.Protected, s.Error }),
        }),
    });

    public static string Verify(VerifyOutcome o, VerifyRequest req) => OutputJson.Serialize(new
    {
        exitCode = (int)o.ExitCode,
        selection = new { req.Job, req.Vm, req.Image, since = req.Since?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), req.Deep },
        o.Checked, o.Ok, o.Failed, o.Skipped,
        // null without --deep: "0 restored" would read as "deep found nothing to restore".
        deepRestored = req.Deep ? o.DeepRestored : (int?)null,
        deepCompared = req.Deep ? o.DeepCompared : (int?)null,
        o.Failures,
        o.Notes,
    });
}
