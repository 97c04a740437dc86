using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using Microsoft.Extensions.Configuration;

namespace CephBackup.Cli;

public sealed record AppConfig(string ConnectionString, CephOptions Ceph, MailOptions Mail, IConfiguration Raw)
{
    public BackupOptions Backup { get; init; } = new();
    /// <summary>Catalog:LeaseSeconds: a job lease or image claim not renewed for this long is free (docs/SCALING.md).</summary>
    public int LeaseSeconds { get; init; } = Core.Catalog.LeaseJobLockProvider.DefaultLeaseSeconds;
    /// <summary><c>Hooks:*</c> and <c>Libvirt:*</c> (docs/CONSISTENCY.md).</summary>
    public ConsistencyOptions Consistency { get; init; } = ConsistencyOptions.Off;
    /// <summary>Metrics:TextfileDir: where cephbackup.prom is written for node_exporter; null = no metrics.</summary>
    public string? MetricsTextfileDir { get; init; }
}

/// <summary>
/// Loads and validates the JSON config (+ CEPHBACKUP_Section__Key environment overrides) before anything
/// touches Ceph or the database. Every problem is one line naming the key; values of secrets are never echoed.
/// </summary>
public static class AppConfigLoader
{
    public const string DefaultPath = "/etc/cephbackup/cephbackup.json";

    private static readonly Dictionary<string, string[]> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Database"] = ["ConnectionString"],
        ["Ceph"] = ["Pool", "ConfFile", "ClientId", "Keyring", "RbdPath", "TimeoutSeconds", "ConcurrentOps"],
        ["Backup"] = ["Parallelism"],
        ["Catalog"] = ["LeaseSeconds"],
        ["Metrics"] = ["TextfileDir"],
        ["Mail"] = ["Enabled", "Host", "Port", "Security", "User", "Password", "From", "To"],
        ["Hooks"] = ConsistencyConfig.HookKeys,
        ["Libvirt"] = ConsistencyConfig.LibvirtKeys,
    };

    public static string ResolvePath(string? option, Func<string, string?> env) =>
        option ?? (env("CEPHBACKUP_CONFIG") is { Length: > 0 } fromEnv ? fromEnv : DefaultPath);

    public static AppConfig Load(string path)
    {
        if (!File.Exists(path))
            throw Error($"config file {path} not found (use --config PATH or CEPHBACKUP_CONFIG)");
        IConfiguration cfg;
        try
        {
            cfg = new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false)
                .AddEnvironmentVariables("CEPHBACKUP_")
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw Error($"config file {path} cannot be read: {OneLine(e.InnerException?.Message ?? e.Message)}");
        }
        CheckKeys(fromEnvironment: false, ((IConfigurationRoot)cfg).Providers.First());
        CheckKeys(fromEnvironment: true, ((IConfigurationRoot)cfg).Providers.Last());

        var cs = cfg["Database:ConnectionString"];
        if (string.IsNullOrWhiteSpace(cs)) throw Error("Database:ConnectionString is required");
        try { _ = new MySqlConnector.MySqlConnectionStringBuilder(cs); }
        catch (ArgumentException) { throw Error("Database:ConnectionString is not a valid MySQL connection string"); }

        var ceph = new CephOptions
        {
            Pool = Str(cfg, "Ceph:Pool") ?? "rbd",
            ConfFile = Str(cfg, "Ceph:ConfFile"),
            ClientId = Str(cfg, "Ceph:ClientId"),
            Keyring = Str(cfg, "Ceph:Keyring"),
            RbdPath = Str(cfg, "Ceph:RbdPath") ?? "rbd",
            TimeoutSeconds = Int(cfg, "Ceph:TimeoutSeconds", 60, 1, 86400),
            ConcurrentOps = Str(cfg, "Ceph:ConcurrentOps") is null ? null : Int(cfg, "Ceph:ConcurrentOps", 10, 1, 1024),
        };
        if (!Names.IsValid(ceph.Pool)) throw Error($"Ceph:Pool '{Names.Printable(ceph.Pool)}' is not a valid pool name");
        if (ceph.ConfFile is not null && !File.Exists(ceph.ConfFile)) throw Error($"Ceph:ConfFile {ceph.ConfFile} does not exist");

        var mail = new MailOptions
        {
            Enabled = Bool(cfg, "Mail:Enabled", false),
            Host = Str(cfg, "Mail:Host"),
            Port = Int(cfg, "Mail:Port", 25, 1, 65535),
            Security = Enum(cfg, "Mail:Security", MailSecurity.StartTls),
            User = Str(cfg, "Mail:User"),
            Password = cfg["Mail:Password"],
            From = Str(cfg, "Mail:From"),
            To = cfg.GetSection("Mail:To").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList() is { Count: > 0 } list
                ? list
                : Str(cfg, "Mail:To") is { } one ? [one] : [],
        };
        if (mail.Enabled)
        {
            if (mail.Host is null) throw Error("Mail:Host is required when Mail:Enabled is true");
            if (mail.From is null) throw Error("Mail:From is required when Mail:Enabled is true");
            if (mail.To.Count == 0) throw Error("Mail:To needs at least one address when Mail:Enabled is true");
        }
        var backup = new BackupOptions { Parallelism = Int(cfg, "Backup:Parallelism", 2, 1, 64) };
        // Renewed every third: below 6 s a renewal would be due every 2 s or less, and a slow database answer
        // could let a living holder's lease expire.
        var leaseSeconds = Int(cfg, "Catalog:LeaseSeconds", Core.Catalog.LeaseJobLockProvider.DefaultLeaseSeconds, 6, 86400);
        var metricsDir = Str(cfg, "Metrics:TextfileDir");
        if (metricsDir is not null && !Path.IsPathRooted(metricsDir)) throw Error($"Metrics:TextfileDir '{metricsDir}' must be an absolute path");
        return new AppConfig(cs, ceph, mail, cfg)
        {
            Backup = backup, LeaseSeconds = leaseSeconds, Consistency = ConsistencyConfig.Load(cfg), MetricsTextfileDir = metricsDir,
        };
    }

    /// <summary>
    /// A typo in the file is an error. From the environment only CEPHBACKUP_&lt;Section&gt;__&lt;Key&gt; of a known
    /// section is checked: other CEPHBACKUP_* variables (CEPHBACKUP_CONFIG, test settings) are not config keys.
    /// </summary>
    private static void CheckKeys(bool fromEnvironment, IConfigurationProvider provider)
    {
        foreach (var (key, _) in new ConfigurationRoot([provider]).AsEnumerable())
        {
            var parts = key.Split(':');
            if (parts[0].Equals("Serilog", StringComparison.OrdinalIgnoreCase)) continue;
            if (!Known.TryGetValue(parts[0], out var keys))
            {
                if (fromEnvironment) continue;
                throw Error($"unknown configuration section '{parts[0]}' (known: {string.Join(", ", Known.Keys)}, Serilog)");
            }
            if (parts.Length > 1 && !keys.Contains(parts[1], StringComparer.OrdinalIgnoreCase))
                throw Error($"unknown configuration key '{parts[0]}:{parts[1]}' (known: {string.Join(", ", keys)})");
        }
    }

    internal static string? Str(IConfiguration c, string key) => string.IsNullOrWhiteSpace(c[key]) ? null : c[key]!.Trim();

    internal static int Int(IConfiguration c, string key, int def, int min, int max)
    {
        var s = Str(c, key);
        if (s is null) return def;
        if (!int.TryParse(s, out var v) || v < min || v > max) throw Error($"{key}: '{s}' is not a whole number from {min} to {max}");
        return v;
    }

    internal static bool Bool(IConfiguration c, string key, bool def)
    {
        var s = Str(c, key);
        if (s is null) return def;
        return bool.TryParse(s, out var v) ? v : throw Error($"{key}: '{s}' is not true or false");
    }

    private static T Enum<T>(IConfiguration c, string key, T def) where T : struct, System.Enum
    {
        var s = Str(c, key);
        if (s is null) return def;
        return System.Enum.TryParse<T>(s, ignoreCase: true, out var v) && System.Enum.IsDefined(v)
            ? v
            : throw Error($"{key}: '{s}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}");
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    internal static CephBackupException Error(string message) => new(ExitCode.ConfigError, "config: " + message);
}
