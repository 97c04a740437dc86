using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.TrimSnap;

public static class TrimSnapCommand
{
    public static Command Create(GlobalOptions global, Func<TrimSnapArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Only this job (by name), even if disabled", HelpName = "NAME" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print which snapshots would be kept or deleted and why; change nothing" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON document (docs/JSON.md); console logging goes to stderr" };
        var cmd = new Command("trimsnap",
            "Delete this tool's old Ceph snapshots: per image of every enabled job keep the newest 'max-snaps' and every snapshot the next backup needs")
        { job, dryRun, json };
        cmd.SetAction((pr, ct) => action(new TrimSnapArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job),
            DryRun = pr.GetValue(dryRun),
            Json = pr.GetValue(json),
        }, ct));
        return cmd;
    }
}
