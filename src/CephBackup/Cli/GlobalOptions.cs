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
}
