using System.CommandLine;
using CephBackup.Cli;

namespace CephBackup.Commands.Catalog;

public static class CatalogCommand
{
    public static Command Create(GlobalOptions global, Func<CatalogImportArgs, CancellationToken, Task<int>> import)
    {
        var job = new Option<string?>("--job") { Description = "Scan only this job's folders", HelpName = "NAME" };
        var importCmd = new Command("import",
            "Record restore points found in the job folders that the catalog lacks (PHP-era backups as 'unverified'); " +
            "broken or interrupted files are reported, not imported; files are never modified")
        {
            job,
        };
        importCmd.SetAction((pr, ct) => import(new CatalogImportArgs { ConfigPath = pr.GetValue(global.Config), Job = pr.GetValue(job) }, ct));
        return new Command("catalog", "Catalog of restore points") { importCmd };
    }
}
