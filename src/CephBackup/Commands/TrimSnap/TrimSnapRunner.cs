using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.TrimSnap;

public static class TrimSnapRunner
{
    public static async Task<int> RunAsync(TrimSnapArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var outcome = await app.TrimSnap().RunAsync(new TrimSnapRequest { JobName = args.Job, DryRun = args.DryRun }, args.Json ? TextWriter.Null : stdout, ct);
        app.Log.Information("trimsnap: {Deleted} snapshot(s) deleted, {Failed} failed, {Errors} image(s) or job(s) not trimmed",
            outcome.Images.Sum(i => i.Deleted), outcome.Images.Sum(i => i.Failed),
            outcome.Images.Count(i => i.Error is not null) + outcome.JobErrors.Count);
        if (args.Json) await stdout.WriteAsync(MaintenanceJson.TrimSnap(outcome, args.DryRun));
        return (int)outcome.ExitCode;
    }
}
