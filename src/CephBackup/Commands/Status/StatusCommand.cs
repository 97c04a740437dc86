using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.Status;

public static class StatusCommand
{
    public const string ExitCodesHelp = "Exit codes of status (monitoring-plugin convention, for this verb only): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.";

    public static Command Create(GlobalOptions global, Func<StatusArgs, CancellationToken, Task<int>> action)
    {
        var job = new Option<string?>("--job") { Description = "Only this job", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print JSON (docs/JSON.md)" };
        var warn = Hours("--warn-hours", "WARNING when the last success is older than H hours (default: one scheduled run missed + 2 h)");
        var crit = Hours("--crit-hours", "CRITICAL when the last success is older than H hours (default: two scheduled runs missed + 2 h)");
        var cmd = new Command("status",
            "Per job and image: last success, age, last run, next scheduled day, verify, chain, bytes, overdue. " + ExitCodesHelp)
        { job, json, warn, crit };
        cmd.SetAction((pr, ct) => action(new StatusArgs
        {
            ConfigPath = pr.GetValue(global.Config), Job = pr.GetValue(job), Json = pr.GetValue(json),
            WarnHours = pr.GetValue(warn), CritHours = pr.GetValue(crit),
        }, ct));
        return cmd;
    }

    private static Option<double?> Hours(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "H",
        CustomParser = r =>
        {
            var s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var h) && h > 0 && h < 1e6) return h;
            r.AddError($"{name}: '{s}' is not a positive number of hours");
            return null;
        },
    };
}
