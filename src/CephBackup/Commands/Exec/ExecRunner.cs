using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Exec;

public static class ExecRunner
{
    public static async Task<int> RunAsync(ExecArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var outcome = await app.Backup().RunAsync(new ExecRequest { JobName = args.Job, Date = args.Date, DryRun = args.DryRun }, stdout, ct);
        foreach (var j in outcome.Jobs.Where(j => j.Result != JobResult.Skipped && !args.DryRun))
            app.Log.Information("Job {Job}: {Result}, {Ok}/{Total} images succeeded", j.JobName, j.IsFailure ? "FAIL" : "SUCCESS",
                j.Images.Count(i => i.Result == ImageResult.Success), j.Images.Count);
        return (int)outcome.ExitCode;
    }
}
