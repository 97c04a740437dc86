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

    public static ILogger Create(IConfiguration cfg, bool consoleToStderrOnly = false)
    {
        if (cfg.GetSection("Serilog").Exists())
        {
            var opts = new ConfigurationReaderOptions(
                typeof(ConsoleLoggerConfigurationExtensions).Assembly, typeof(FileLoggerConfigurationExtensions).Assembly);
            return new LoggerConfiguration().ReadFrom.Configuration(cfg, opts).CreateLogger();
        }
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .Enrich.FromLogContext()
            .WriteTo.Console(standardErrorFromLevel: consoleToStderrOnly ? LogEventLevel.Verbose : LogEventLevel.Warning,
                outputTemplate: "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj}{NewLine}")
            .WriteTo.File(DefaultLogFile, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 30,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }

    /// <summary>
    /// A file-only logger for failures that happen before the configuration is valid: the log file named by
    /// the config file's Serilog File sink when the file can at least be parsed, else the default file.
    /// </summary>
    public static Serilog.Core.Logger CreateFallback(string configPath)
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
        return new LoggerConfiguration()
            .WriteTo.File(path ?? DefaultLogFile, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 30,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }
}
