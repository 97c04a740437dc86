using System.CommandLine;
using System.Globalization;
using CephBackup.Cli;

namespace CephBackup.Commands.Exec;

public static class ExecCommand
{
    public static Command Create(GlobalOptions global, Func<ExecArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Run only this job (by name), even if disabled", HelpName = "NAME" };
        var date = CommonOptions.Day("--date", "Evaluate the day/week schedule for this day instead of today");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be done per job and image; change nothing" };
        var worker = new Option<bool>("--worker") { Description = "Share each job's images with exec --worker on other hosts (same catalog, same day); see docs/SCALING.md" };
        var json = new Option<bool>("--json") { Description = "Print the outcome (every job and image, or the plan with --dry-run) as JSON (docs/JSON.md)" };
        var cmd = new Command("exec", "Back up every enabled job that is due today (daily cron)") { job, date, dryRun, worker, json };
        cmd.SetAction((pr, ct) => action(new ExecArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job),
            Date = pr.GetValue(date),
            DryRun = pr.GetValue(dryRun),
            Worker = pr.GetValue(worker),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
