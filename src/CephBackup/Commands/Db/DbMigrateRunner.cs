using CephBackup.Cli;
using CephBackup.Core;
using CephBackup.Core.Catalog;

namespace CephBackup.Commands.Db;

public static class DbMigrateRunner
{
    public static async Task<int> RunAsync(AppServices app, TextWriter stdout, CancellationToken ct)
    {
        var result = await new Migrator(app.Config.ConnectionString).MigrateAsync(ct);
        await stdout.WriteLineAsync(result.Applied.Count == 0
            ? $"schema is current (version {result.ToVersion})"
            : $"applied {string.Join(", ", result.Applied)}: schema version {result.FromVersion?.ToString() ?? "none"} -> {result.ToVersion}");
        return (int)ExitCode.Ok;
    }
}
