using System.Text.Json;
using CephBackup.Cli;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Restore;

/// <summary>Runs the real command line (config file, composition root, exit-code mapping) in-process.</summary>
public static class CliRun
{
    public sealed record Result(int Code, string Out, string Err);

    /// <summary>A config for the test cluster and <paramref name="connectionString"/>; logging kept off the console and /var/log.</summary>
    public static string WriteConfig(string connectionString)
    {
        var dir = Directory.CreateTempSubdirectory("cbcli-").FullName;
        var path = Path.Combine(dir, "cephbackup.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            Database = new { ConnectionString = connectionString },
            Ceph = new { Pool = TestEnv.Pool, ConfFile = TestEnv.CephConf, TimeoutSeconds = 30 },
            Mail = new { Enabled = false },
            Serilog = new { MinimumLevel = new { Default = "Fatal" } },
        }));
        return path;
    }

    public static async Task<Result> RunAsync(string config, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliHost(stdout, stderr).RunAsync([.. args, "--config", config]);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
