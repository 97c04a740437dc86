using CephBackup.Cli;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;

namespace CephBackup.Commands.Catalog;

public static class CatalogImportRunner
{
    public static async Task<int> RunAsync(CatalogImportArgs args, AppServices app, TextWriter stdout, CancellationToken ct)
    {
        await app.RequireMigratedAsync(ct);
        var outcome = await app.CatalogImport().RunAsync(new ImportRequest { JobName = args.Job }, ct);
        foreach (var line in ImportReportFormatter.Lines(outcome)) await stdout.WriteLineAsync(line);
        return (int)outcome.ExitCode;
    }
}
