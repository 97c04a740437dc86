using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Retention;

public static class RetentionRunner
{
    public static async Task<int> RunAsync(RetentionArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var outcome = await app.Retention().RunAsync(
            new RetentionRequest { JobName = args.Job, DryRun = args.DryRun, AlwaysReport = args.AlwaysReport }, args.Json ? TextWriter.Null : stdout, ct);
        var rows = outcome.Report.Rows;
        app.Log.Information("Retention: {Deleted} chain(s) deleted, {Immutable} kept as immutable, {Failed} failed, {Bytes} freed",
            rows.Count(r => r.Result == RetentionResult.Deleted), rows.Count(r => r.Result == RetentionResult.KeptImmutable),
            rows.Count(r => r.Result is RetentionResult.Failed or RetentionResult.ConfigError), IecSize.Format(rows.Sum(r => r.BytesFreed)));
        if (args.Json) await stdout.WriteAsync(MaintenanceJson.Retention(outcome, args.DryRun));
        if (!args.DryRun) await app.Metrics().WriteAsync(ct);
        return (int)outcome.ExitCode;
    }
}
