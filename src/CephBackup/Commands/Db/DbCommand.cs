using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.Db;

public sealed record DbMigrateArgs(string? ConfigPath);

public static class DbCommand
{
    public static Command Create(GlobalOptions global, Func<DbMigrateArgs, CancellationToken, Task<int>> migrate)
    {
        var migrateCmd = new Command("migrate",
            "Create the schema in an empty database, or upgrade a PHP cephbackup database in place (additive, idempotent)");
        migrateCmd.SetAction((pr, ct) => migrate(new DbMigrateArgs(pr.GetValue(global.Config)), ct));
        return new Command("db", "Catalog database maintenance") { migrateCmd };
    }
}
