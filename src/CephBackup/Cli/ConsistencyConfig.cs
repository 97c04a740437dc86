using CephBackup.Core.Consistency;
using Microsoft.Extensions.Configuration;

namespace CephBackup.Cli;

/// <summary><c>Hooks:*</c> and <c>Libvirt:*</c> of the config file (docs/CONSISTENCY.md), checked before any run.</summary>
public static class ConsistencyConfig
{
    public static readonly string[] HookKeys = ["PreSnapshot", "PostSnapshot", "TimeoutSeconds", "OnFailure"];
    public static readonly string[] LibvirtKeys = ["Enabled", "Uri", "VirshPath", "Freeze"];

    public static ConsistencyOptions Load(IConfiguration cfg)
    {
        var onFailure = AppConfigLoader.Str(cfg, "Hooks:OnFailure")?.ToLowerInvariant() switch
        {
            null or "continue" => HookFailurePolicy.Continue,
            "skip-vm" => HookFailurePolicy.SkipVm,
            var other => throw AppConfigLoader.Error($"Hooks:OnFailure: '{other}' is not continue or skip-vm"),
        };
        var hooks = new HookOptions
        {
            PreSnapshot = Argv(cfg, "Hooks:PreSnapshot"),
            PostSnapshot = Argv(cfg, "Hooks:PostSnapshot"),
            Timeout = TimeSpan.FromSeconds(AppConfigLoader.Int(cfg, "Hooks:TimeoutSeconds", 60, 1, 86400)),
            OnFailure = onFailure,
        };
        var libvirt = new LibvirtOptions
        {
            Enabled = AppConfigLoader.Bool(cfg, "Libvirt:Enabled", false),
            Uri = AppConfigLoader.Str(cfg, "Libvirt:Uri") ?? "qemu:///system",
            VirshPath = AppConfigLoader.Str(cfg, "Libvirt:VirshPath") ?? "virsh",
            Freeze = AppConfigLoader.Bool(cfg, "Libvirt:Freeze", true),
        };
        return new ConsistencyOptions { Hooks = hooks, Libvirt = libvirt };
    }

    /// <summary>
    /// A JSON array only: a single string would have to be split like a shell does, and quoting rules are
    /// exactly what must not decide which program runs as root during a backup.
    /// </summary>
    private static IReadOnlyList<string> Argv(IConfiguration cfg, string key)
    {
        var section = cfg.GetSection(key);
        if (!string.IsNullOrEmpty(section.Value))
            throw AppConfigLoader.Error($"{key} must be a JSON array of arguments (program first, no shell), e.g. [\"/usr/local/sbin/pre-backup\", \"{{vm}}\"]");
        var children = section.GetChildren().ToList();
        if (children.Any(c => !int.TryParse(c.Key, out _) || c.GetChildren().Any()))
            throw AppConfigLoader.Error($"{key} must be an array of strings");
        var argv = children.Select(c => c.Value ?? "").ToList();
        if (argv.Count == 0) return [];
        if (string.IsNullOrWhiteSpace(argv[0])) throw AppConfigLoader.Error($"{key}: the first element (the program) is empty");
        if (HookRunner.UnknownPlaceholders(argv) is { Count: > 0 } unknown)
            throw AppConfigLoader.Error($"{key}: unknown placeholder {string.Join(", ", unknown)} (known: {string.Join(", ", HookRunner.Placeholders)})");
        return argv;
    }
}
