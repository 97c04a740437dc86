using CephBackup.Cli;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// The exe's composition root over a <see cref="BackupBed"/>, so services and verb runners run as in
/// production (without a config file, so the bed's own connections and loggers are used). Tests swap in a
/// service only where a fault must be injected.
/// </summary>
public static class BedApp
{
    public static AppServices Create(BackupBed bed, TimeProvider? time = null, MailOptions? mail = null, ICatalog? catalog = null,
        string? connectionString = null, CephOptions? ceph = null, int parallelism = 2, IRbd? rbd = null, int leaseSeconds = 120,
        Core.Consistency.ConsistencyOptions? consistency = null)
    {
        var cs = connectionString ?? bed.Db.ConnectionString;
        var cephOptions = ceph ?? bed.Ceph;
        // A logger of its own: AppServices disposes its logger, the bed's must outlive it.
        var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new StringSink(bed.LogText)).CreateLogger();
        return new AppServices
        {
            Config = new AppConfig(cs, cephOptions, mail ?? bed.Mail, new ConfigurationBuilder().Build()) { Backup = new BackupOptions { Parallelism = parallelism }, Consistency = consistency ?? Core.Consistency.ConsistencyOptions.Off },
            Log = log,
            Catalog = catalog ?? (connectionString is null ? bed.Catalog : new MySqlCatalog(cs)),
            OwnsCatalog = catalog is null && connectionString is not null,
            Locks = new LeaseJobLockProvider(cs, leaseSeconds),
            Rbd = rbd ?? (ceph is null ? bed.Rbd : new RbdCli(new ProcessRunner(), cephOptions)),
            Mail = new SmtpMailSender(mail ?? bed.Mail, log),
            Time = time ?? TimeProvider.System,
            Host = new HostIdentity("testhost", Environment.ProcessId),
        };
    }
}
