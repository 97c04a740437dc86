using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Exec;

public static class ExecRunner
{
    /// <param name="progress">The live status line at a terminal; null under cron, in a pipe, with --json or --dry-run.</param>
    public static async Task<int> RunAsync(ExecArgs args, AppServices app, TextWriter stdout, ExecProgress? progress, CancellationToken ct)
    {
        ExecOutcome outcome;
        try
        {
            await app.RequireMigratedAsync(ct);
            outcome = await app.Backup(progress).RunAsync(new ExecRequest { JobName = args.Job, Date = args.Date, DryRun = args.DryRun, Worker = args.Worker }, ct);
        }
        catch (CephBackupException e) when (!args.DryRun && e.Code == ExitCode.DatabaseError)
        {
            // Only reached before any job ran (each job catches its own catalog failures): nothing was saved,
            // and without the catalog no job report can be built, so say so by mail or cron's silence hides it.
            await MailCatalogDownAsync(app, e, ct);
            throw;
        }
        finally
        {
            progress?.Finish();
        }
        if (args.Json) await stdout.WriteAsync(OutputJson.Serialize(new { exitCode = (int)outcome.ExitCode, outcome.ReportFailed, outcome.Cancelled, outcome.Jobs }));
        else if (args.DryRun) await stdout.WriteAsync(DryRunFormatter.Text(outcome.Jobs));
        foreach (var j in outcome.Jobs.Where(j => j.Result != JobResult.Skipped && !args.DryRun))
            app.Log.Information("Job {Job}: {Result}, {Ok}/{Total} images succeeded", j.JobName, j.IsFailure ? "FAIL" : "SUCCESS",
                j.Images.Count(i => i.Result == ImageResult.Success), j.Images.Count);
        if (outcome.Cancelled) app.Log.Warning("exec cancelled (SIGINT/SIGTERM): unfinished points were undone");
        if (!args.DryRun && !outcome.Cancelled) await app.Metrics().WriteAsync(ct);
        return (int)outcome.ExitCode;
    }

    private static async Task MailCatalogDownAsync(AppServices app, Exception e, CancellationToken ct)
    {
        var report = new JobReport { JobName = "(all jobs)", Result = JobResult.Failed, Message = $"No backup was made: {e.Message}" };
        try { await app.Mail.SendAsync(ReportFormatter.ToMail(report, app.Time.LocalTimeZone) with { Subject = "[FAIL] CEPH Backup (ALL jobs): catalog database unavailable" }, ct); }
        catch (CephBackupException mailError) { app.Log.Error("Could not mail the failure either: {Error}", mailError.Message); }
    }
}
