using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using MySqlConnector;

namespace CephBackup.Commands.Exec;

public static class ExecRunner
{
    public static async Task<int> RunAsync(ExecArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        ExecOutcome outcome;
        try
        {
            await app.RequireMigratedAsync(ct);
            outcome = await app.Backup().RunAsync(new ExecRequest { JobName = args.Job, Date = args.Date, DryRun = args.DryRun }, stdout, ct);
        }
        catch (Exception e) when (!args.DryRun && (e is MySqlException || e is CephBackupException { Code: ExitCode.DatabaseError }))
        {
            // Without the catalog no job report can be built: say so by mail, or cron's silence would hide it.
            await MailCatalogDownAsync(app, e, ct);
            throw;
        }
        foreach (var j in outcome.Jobs.Where(j => j.Result != JobResult.Skipped && !args.DryRun))
            app.Log.Information("Job {Job}: {Result}, {Ok}/{Total} images succeeded", j.JobName, j.IsFailure ? "FAIL" : "SUCCESS",
                j.Images.Count(i => i.Result == ImageResult.Success), j.Images.Count);
        if (!args.DryRun) await app.Metrics().WriteAsync(ct);
        return (int)outcome.ExitCode;
    }

    private static async Task MailCatalogDownAsync(AppServices app, Exception e, CancellationToken ct)
    {
        var (_, message) = CliHost.Map(e);
        var report = new JobReport { JobName = "(all jobs)", Result = JobResult.Failed, Message = $"No backup was made: {message}" };
        try { await app.Mail.SendAsync(ReportFormatter.ToMail(report, app.Time.LocalTimeZone) with { Subject = "[FAIL] CEPH Backup (ALL jobs): catalog database unavailable" }, ct); }
        catch (CephBackupException mailError) { app.Log.Error("Could not mail the failure either: {Error}", mailError.Message); }
    }
}
