using System.CommandLine;

namespace CephBackup.Cli;

/// <summary>Options every verb accepts.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Config { get; } = new("--config")
    {
        Description = $"Configuration file (default: $CEPHBACKUP_CONFIG, else {AppConfigLoader.DefaultPath})",
        Recursive = true,
        HelpName = "PATH",
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Debug messages on the console", Recursive = true };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Only errors on the console (the log file keeps everything)", Recursive = true };
}

/// <summary>Option factories shared by several verbs.</summary>
public static class CommonOptions
{
    /// <summary>A <c>YYYY-MM-DD</c> day; anything else is a parse error naming the option.</summary>
    public static Option<DateOnly?> Day(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "YYYY-MM-DD",
        CustomParser = r =>
        {
            var s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (DateOnly.TryParseExact(s, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.None, out var d)) return d;
            r.AddError($"{name}: '{s}' is not a date like 2026-11-26");
            return null;
        },
    };
}
