using System.CommandLine;
using System.Globalization;
using CephBackup.Cli;

namespace CephBackup.Commands.Exec;

public static class ExecCommand
{
    public static Command Create(GlobalOptions global, Func<ExecArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Run only this job (by name), even if disabled", HelpName = "NAME" };
        var date = new Option<DateOnly?>("--date")
        {
            Description = "Evaluate the day/week schedule for this day instead of today",
            HelpName = "YYYY-MM-DD",
            CustomParser = r =>
            {
                var s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
                r.AddError($"--date: '{s}' is not a date like 2026-11-26");
                return null;
            },
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be done per job and image; change nothing" };
        var cmd = new Command("exec", "Back up every enabled job that is due today (daily cron)") { job, date, dryRun };
        cmd.SetAction((pr, ct) => action(new ExecArgs
        {
            ConfigPath = pr.GetValue(global.Config),
            Job = pr.GetValue(job),
            Date = pr.GetValue(date),
            DryRun = pr.GetValue(dryRun),
        }, ct));
        return cmd;
    }
}
