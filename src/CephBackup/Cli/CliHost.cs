using System.CommandLine;
using CephBackup.Commands.Catalog;
using CephBackup.Commands.Db;
using CephBackup.Commands.Exec;
using CephBackup.Commands.Retention;
using CephBackup.Commands.TrimSnap;
using CephBackup.Commands.ListVerb;
using CephBackup.Commands.Mount;
using CephBackup.Commands.Restore;
using CephBackup.Commands.RestoreVm;
using CephBackup.Commands.Verify;
using CephBackup.Commands.Job;
using CephBackup.Commands.Vm;
using CephBackup.Commands.Status;
using CephBackup.Core;
using CephBackup.Core.Jobs;

namespace CephBackup.Cli;

/// <summary>Builds the verbs, runs one, and maps every failure to one line and one exit code (the only place that does).</summary>
public sealed class CliHost(TextWriter stdout, TextWriter stderr)
{
    private AppServices? _app;
    private readonly GlobalOptions _global = new();
    private Serilog.Events.LogEventLevel _console = Serilog.Events.LogEventLevel.Information;

    public RootCommand BuildRoot()
    {
        var global = _global;
        var root = new RootCommand("cephbackup: full / incremental / differential backups of Ceph RBD images of KVM VMs")
        {
            ExecCommand.Create(global, async (a, ct) => await ExecRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, ExecProgress.For(stderr, a.Json || a.DryRun), ct)),
            DbCommand.Create(global, async (a, ct) => await DbMigrateRunner.RunAsync(App(a.ConfigPath), stdout, ct)),
            RetentionCommand.Create(global, async (a, ct) => await RetentionRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, ct)),
            TrimSnapCommand.Create(global, async (a, ct) => await TrimSnapRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, ct)),
            ListCommand.Create(global, async (a, ct) => await ListRunner.RunAsync(a, App(a.ConfigPath, machineOutput: true), stdout, ct)),
            CatalogCommand.Create(global, async (a, ct) => await CatalogImportRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
            RestoreCommand.Create(global, async (a, ct) => await RestoreRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, TerminalProgress.For(stderr, a.Json), ct)),
            RestoreVmCommand.Create(global, async (a, ct) => await RestoreVmRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, TerminalProgress.For(stderr, a.Json), ct)),
            VerifyCommand.Create(global, async (a, ct) => await VerifyRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, TerminalProgress.For(stderr, a.Json), ct)),
            JobCommand.Create(global, async (a, ct) => await JobRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, ct)),
            VmCommand.Create(global, async (a, ct) => await VmRunner.RunAsync(a, App(a.ConfigPath, machineOutput: a.Json), stdout, ct)),
            StatusCommand.Create(global, async (a, ct) => await StatusRunner.RunAsync(a, () => App(a.ConfigPath, machineOutput: true), stdout, ct)),
            MountCommand.Create(global, async (a, ct) => await MountRunner.RunAsync(a, App(a.ConfigPath), stdout, ct)),
        };
        root.Options.Add(global.Config);
        root.Options.Add(global.Verbose);
        root.Options.Add(global.Quiet);
        root.Description += "\n\n" + ExitCodes.All + "\n" + StatusCommand.ExitCodesHelp +
                            $"\n\nLog file: {Logging.Shown(AppConfigLoader.ResolvePath(null, Environment.GetEnvironmentVariable))} (or the config's Serilog File sink).";
        return root;
    }

    public async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) await stderr.WriteLineAsync("error: " + e.Message);
            await stderr.WriteLineAsync("see 'cephbackup --help'");
            LogFailure(args, ExitCode.Usage, string.Join("; ", parse.Errors.Select(e => e.Message)), null);
            return (int)ExitCode.Usage;
        }
        _console = parse.GetValue(_global.Verbose) ? Serilog.Events.LogEventLevel.Debug
            : parse.GetValue(_global.Quiet) ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Information;
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false,
                // Longer than a restore's cleanup budget (ImageCleanup.Budget): after a signal the host must
                // not exit while a half-made image is still being removed.
                ProcessTerminationTimeout = ImageCleanup.Budget + TimeSpan.FromSeconds(45),
            }, ct);
        }
        catch (Exception e)
        {
            var (code, message) = Map(e, Logging.Shown(ConfigPathOf(args)));
            await stderr.WriteLineAsync("error: " + message);
            // Scripts that asked for JSON get the failure as JSON too (docs/JSON.md).
            if (parse.CommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--json") is { } json && parse.GetValue(json))
                await stdout.WriteAsync(Core.Reporting.OutputJson.Error((int)code, message, Logging.Shown(ConfigPathOf(args))));
            LogFailure(args, code, message, e);
            return (int)code;
        }
        finally
        {
            if (_app is not null) await _app.DisposeAsync();
        }
    }

    /// <param name="machineOutput">stdout carries data (a table, JSON): console logging goes to stderr only.</param>
    private AppServices App(string? configPath, bool machineOutput = false) =>
        _app ??= AppServices.Create(AppConfigLoader.ResolvePath(configPath, Environment.GetEnvironmentVariable), machineOutput, _console);

    public static (ExitCode, string) Map(Exception e, string? logFile = null) => e switch
    {
        CephBackupException c => (c.Code, c.Message),
        CancelledException c => (ExitCode.Cancelled, c.Message),
        OperationCanceledException => (ExitCode.Cancelled, "cancelled"),
        _ => (ExitCode.InternalError, $"internal error ({e.GetType().Name}): {e.Message.ReplaceLineEndings(" ")} (stack trace in the log file{(logFile is null ? "" : " " + logFile)})"),
    };

    /// <summary>
    /// Every failure leaves a line in the log file, also one that happens before the configuration (and so
    /// the configured logger) exists: a cron job that fails at start must leave a trace somewhere.
    /// </summary>
    private void LogFailure(string[] args, ExitCode code, string message, Exception? e)
    {
        var verb = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "(none)";
        if (_app is not null)
        {
            if (code == ExitCode.InternalError) _app.Log.Fatal(e, "cephbackup {Verb}: unexpected error", verb);
            else _app.Log.Error("cephbackup {Verb} failed (exit {Code}): {Message}", verb, (int)code, message);
            return;
        }
        using var fallback = Logging.CreateFallback(ConfigPathOf(args));
        fallback.Error("cephbackup {Verb} failed before its configuration was loaded (exit {Code}): {Message}", verb, (int)code, message);
    }

    private static string ConfigPathOf(string[] args)
    {
        var i = Array.IndexOf(args, "--config");
        return AppConfigLoader.ResolvePath(i >= 0 && i + 1 < args.Length ? args[i + 1] : null, Environment.GetEnvironmentVariable);
    }
}
