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
}
