using System.Text.Json;
using CephBackup.Cli;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Infrastructure;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real CLI host in-process with a config file written for the test services.</summary>
public sealed class CliRun
{
    public string ConfigPath { get; }
    public string LogDir { get; }

    public CliRun(string dir, string connectionString, int smtpPort, string? smtpPassword = null)
    {
        LogDir = Path.Combine(dir, "logs");
        ConfigPath = Path.Combine(dir, "cephbackup.json");
        var cfg = new
        {
            Database = new { ConnectionString = connectionString },
            Ceph = new { Pool = TestEnv.Pool, ConfFile = TestEnv.CephConf, TimeoutSeconds = 20 },
            // Short leases: a test that kills a run waits for its lease to expire (BackupBed.WaitForLeasesToExpireAsync).
            Catalog = new { LeaseSeconds = 6 },
            Mail = new
            {
                Enabled = true, Host = "127.0.0.1", Port = smtpPort, Security = "None", From = "backup@test",
                To = new[] { "admin@test" }, User = smtpPassword is null ? null : "mailuser", Password = smtpPassword,
            },
            Serilog = new
            {
                Using = new[] { "Serilog.Sinks.File" },
                MinimumLevel = new { Default = "Debug" },
                WriteTo = new object[] { new { Name = "File", Args = new { path = Path.Combine(LogDir, "cb-.log"), rollingInterval = "Day" } } },
            },
        };
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(cfg));
    }

    public static string WithPassword(string connectionString, string password) =>
        new MySqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString;

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        var code = await new CliHost(o, e).RunAsync([.. args, "--config", ConfigPath]);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    public string AllLogs() => Directory.Exists(LogDir)
        ? string.Concat(Directory.GetFiles(LogDir).Select(f => { using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); return new StreamReader(s).ReadToEnd(); }))
        : "";
}
