using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Settings.Configuration;

namespace CephBackup.Cli;

/// <summary>
/// Serilog from the config's <c>Serilog</c> section, or the default: console (warnings to stderr; everything
/// to stderr for verbs whose stdout is data) + a daily file.
/// </summary>
public static class Logging
{
    public const string DefaultLogFile = "/var/log/cephbackup/cephbackup-.log";

    /// <param name="console">-v: Debug, -q: Error, else Information (the default logger's console only).</param>
    public static ILogger Create(IConfiguration cfg, bool consoleToStderrOnly = false, LogEventLevel console = LogEventLevel.Information)
    {
        if (cfg.GetSection("Serilog").Exists())
        {
            var opts = new ConfigurationReaderOptions(
                typeof(ConsoleLoggerConfigurationExtensions).Assembly, typeof(FileLoggerConfigurationExtensions).Assembly);
            return new LoggerConfiguration().ReadFrom.Configuration(cfg, opts).CreateLogger();
        }
        return new LoggerConfiguration()
            .MinimumLevel.Is(console < LogEventLevel.Information ? console : LogEventLevel.Information)
            .Enrich.FromLogContext()
            .WriteTo.Console(restrictedToMinimumLevel: console, standardErrorFromLevel: consoleToStderrOnly ? LogEventLevel.Verbose : LogEventLevel.Warning,
                outputTemplate: "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj}{NewLine}")
            .WriteTo.File(DefaultLogFile, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 30,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }

    /// <summary>
    /// A file-only logger for failures that happen before the configuration is valid: the log file named by
    /// the config file's Serilog File sink when the file can at least be parsed, else the default file.
    /// </summary>
    public static Serilog.Core.Logger CreateFallback(string configPath) =>
        new LoggerConfiguration()
            .WriteTo.File(ConfiguredFile(configPath) ?? DefaultLogFile, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 30,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();

    /// <summary>The log file as a person looks for it: "/var/log/cephbackup/cephbackup-YYYYMMDD.log" (daily files).</summary>
    public static string Shown(string configPath)
    {
        var path = ConfiguredFile(configPath) ?? DefaultLogFile;
        return Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "YYYYMMDD" + Path.GetExtension(path));
    }

    /// <summary>The path of the config file's Serilog File sink, or null (default file, or unreadable config).</summary>
    private static string? ConfiguredFile(string configPath)
    {
        string? path = null;
        try
        {
            var cfg = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configPath), optional: true, reloadOnChange: false).Build();
            path = cfg.GetSection("Serilog:WriteTo").GetChildren()
                .Where(c => string.Equals(c["Name"], "File", StringComparison.OrdinalIgnoreCase))
                .Select(c => c["Args:path"]).FirstOrDefault(p => !string.IsNullOrWhiteSpace(p));
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The file is unreadable or not JSON: that is the error being logged; use the default file.
        }
        return path;
    }
}
