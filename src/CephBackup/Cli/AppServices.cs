using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Consistency;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Cli;

/// <summary>The composition root: built once per process from the validated configuration.</summary>
public sealed class AppServices : IAsyncDisposable
{
    public required AppConfig Config { get; init; }
    public required ILogger Log { get; init; }
    public required ICatalog Catalog { get; init; }
    public required IJobLockProvider Locks { get; init; }
    public required IRbd Rbd { get; init; }
    public required IMailSender Mail { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>
    /// The catalog was built here and closes with these services. A process ends after one command, but the
    /// host also runs in-process (tests run hundreds of commands): an unclosed catalog keeps its pooled
    /// connections for minutes, and enough of them exhaust the server's max_connections.
    /// </summary>
    public bool OwnsCatalog { get; init; }

    public static AppServices Create(string configPath, bool machineOutput = false,
        Serilog.Events.LogEventLevel console = Serilog.Events.LogEventLevel.Information)
    {
        var config = AppConfigLoader.Load(configPath);
        var log = Logging.Create(config.Raw, machineOutput, console);
        return new AppServices
        {
            Config = config,
            Log = log,
            Catalog = new MySqlCatalog(config.ConnectionString),
            OwnsCatalog = true,
            Locks = new LeaseJobLockProvider(config.ConnectionString, config.LeaseSeconds),
            Rbd = new RbdCli(new ProcessRunner(), config.Ceph),
            Mail = new SmtpMailSender(config.Mail, log),
        };
    }

    /// <summary>Fails with one line (exit 13) when the catalog is unreachable or older than this binary expects.</summary>
    public async Task RequireMigratedAsync(CancellationToken ct)
    {
        var version = await new Migrator(Config.ConnectionString).CurrentVersionAsync(ct);
        if (version is null || version < Migrator.LatestVersion)
            throw new CephBackupException(ExitCode.DatabaseError,
                $"catalog database is at schema version {version?.ToString() ?? "none"}, this cephbackup needs {Migrator.LatestVersion}: run 'cephbackup db migrate'");
    }

    public HostIdentity Host { get; init; } = new(Environment.MachineName, Environment.ProcessId);

    /// <summary>Where each job's report goes as soon as the job ends.</summary>
    public IReadOnlyList<IJobReporter> JobReporters() => [new MailReporter(Mail, Time.LocalTimeZone)];

    /// <param name="progress">Live bytes per exporting image; null under cron (see ExecProgress).</param>
    public BackupService Backup(IProgress<ExportProgress>? progress = null) => new(new BackupDeps(Catalog, Rbd, Time, Log)
        {
            Consistency = new ConsistencyService(Config.Consistency, new ProcessRunner(), Log),
            Progress = progress,
        }, Locks, JobReporters(), Config.Ceph, Config.Backup, new MountTable(), Host,
        new LeaseImageClaims(Config.ConnectionString, Host.Host, Host.Pid, Config.LeaseSeconds, Time));

    public RetentionService Retention() => new(Catalog, Mail, Log);

    public TrimSnapService TrimSnap() => new(Catalog, Locks, Rbd, Config.Ceph, Time, Host, Log);
    public ListService List() => new(Catalog);

    public CatalogImportService CatalogImport() =>
        new(Catalog, Locks, Time, Host, Log);

    public RestoreService Restore() => new(Rbd, Time, Log);

    public VerifyService Verify() => new(Catalog, Rbd, Config.Ceph, Time, Log);

    private ICatalogAdmin CatalogAdmin => Catalog as ICatalogAdmin ?? throw new InvalidOperationException("the catalog does not support admin writes");
    public JobAdminService JobAdmin() => new(Catalog, CatalogAdmin, Locks);
    public VmAdminService VmAdmin() => new(Catalog, CatalogAdmin, Rbd, Config.Ceph);
    public StatusService StatusService() => new(Catalog, CatalogAdmin, Time);
    /// <summary>After exec, retention and verify: cephbackup.prom from the catalog's state (no-op without Metrics:TextfileDir).</summary>
    public MetricsTextfile Metrics() => new(Config.MetricsTextfileDir, StatusService(), Log);

    public async ValueTask DisposeAsync()
    {
        if (OwnsCatalog && Catalog is IAsyncDisposable catalog) await catalog.DisposeAsync();
        if (Log is IAsyncDisposable d) await d.DisposeAsync();
    }
}
