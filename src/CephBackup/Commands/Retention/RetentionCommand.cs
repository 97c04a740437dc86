using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.Retention;

public static class RetentionCommand
{
    public static Command Create(GlobalOptions global, Func<RetentionArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Only this job (by name)", HelpName = "NAME" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print which chains would be kept or deleted and why; change nothing" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON document (docs/JSON.md); console logging goes to stderr" };
        var always = new Option<bool>("--always-report") { Description = "Mail the report even when nothing was deleted or failed" };
        var cmd = new Command("retention",
            "Delete old chain folders: per image keep the newest 'retention' chains that hold a successful full (daily cron; disabled jobs included)")
        { job, dryRun, always, json };
        cmd.SetAction((pr, ct) => action(new RetentionArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job),
            DryRun = pr.GetValue(dryRun),
            AlwaysReport = pr.GetValue(always),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
