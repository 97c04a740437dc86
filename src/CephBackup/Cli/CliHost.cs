using System.CommandLine;
using CephBackup.Commands.Catalog;
using CephBackup.Commands.Db;
using CephBackup.Commands.Exec;
using CephBackup.Commands.Retention;
using CephBackup.Commands.TrimSnap;
using CephBackup.Commands.ListVerb;
using CephBackup.Commands.Mount;
using CephBackup.Commands.Restore;
using CephBackup.Commands.Verify;
using CephBackup.Core;
using MySqlConnector;

namespace CephBackup.Cli;

/// <summary>Builds the verbs, runs one, and maps every failure to one line and one exit code (the only place that does).</summary>
public sealed class CliHost(TextWriter stdout, TextWriter stderr)
{
    private AppServices? _app;

    public RootCommand BuildRoot()
    {
        var global = new GlobalOptions();
        var root = new RootCommand("cephbackup: full / incremental / differential backups of Ceph RBD images of KVM VMs")
        {
            ExecCommand.Create(global, async (a, ct) => await ExecRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
            DbCommand.Create(global, async (a, ct) => await DbMigrateRunner.RunAsync(App(a.ConfigPath), stdout, ct)),
            RetentionCommand.Create(global, async (a, ct) => await RetentionRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
            TrimSnapCommand.Create(global, async (a, ct) => await TrimSnapRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
            ListCommand.Create(global, async (a, ct) => await ListRunner.RunAsync(a, App(a.ConfigPath, machineOutput: true), stdout, ct)),
            CatalogCommand.Create(global, async (a, ct) => await CatalogImportRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
            RestoreCommand.Create(global, async (a, ct) => await RestoreRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, TerminalProgress.For(stderr, a.Json), ct)),
            VerifyCommand.Create(global, async (a, ct) => await VerifyRunner.RunAsync(a, App(a.ConfigPath), stdout, TerminalProgress.For(stderr, false), ct)),
            MountCommand.Create(global, async (a, ct) => await MountRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
        };
        root.Options.Add(global.Config);
        root.Description += "\n\n" + ExitCodesHelp;
        return root;
    }

    public async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) await stderr.WriteLineAsync("error: " + e.Message);
            await stderr.WriteLineAsync("see 'cephbackup --help'");
            return (int)ExitCode.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
            }, ct);
        }
        catch (Exception e)
        {
            var (code, message) = Map(e);
            await stderr.WriteLineAsync("error: " + message);
            if (code == ExitCode.InternalError) _app?.Log.Fatal(e, "Unexpected error");
            return (int)code;
        }
        finally
        {
            if (_app is not null) await _app.DisposeAsync();
        }
    }

    /// <param name="machineOutput">stdout carries data (a table, JSON): console logging goes to stderr only.</param>
    private AppServices App(string? configPath, bool machineOutput = false) =>
        _app ??= AppServices.Create(AppConfigLoader.ResolvePath(configPath, Environment.GetEnvironmentVariable), machineOutput);

    public static (ExitCode, string) Map(Exception e) => e switch
    {
        CephBackupException c => (c.Code, c.Message),
        MySqlException m => (ExitCode.DatabaseError, $"catalog database: {m.Message}"),
        OperationCanceledException => (ExitCode.Cancelled, "cancelled"),
        _ => (ExitCode.InternalError, $"internal error ({e.GetType().Name}): {e.Message.ReplaceLineEndings(" ")} (stack trace in the log file)"),
    };

    public const string ExitCodesHelp =
        "Exit codes: 0 ok, 1 internal error, 2 usage, 3 some image/chain failed, 4 report not delivered, " +
        "5 invalid input, 6 verification failed, 11 already running, 12 configuration error, 13 database error, " +
        "14 Ceph error, 15 storage error, 130 cancelled.";
}
