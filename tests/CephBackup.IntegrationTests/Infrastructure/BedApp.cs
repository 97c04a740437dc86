using CephBackup.Cli;
using CephBackup.Core.Catalog;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// The exe's composition root over a <see cref="BackupBed"/>, so verb runners run as in production
/// (without a config file, so the bed's own connections and loggers are used).
/// </summary>
public static class BedApp
{
    public static AppServices Create(BackupBed bed, TimeProvider? time = null) => new()
    {
        Config = new AppConfig(bed.Db.ConnectionString, bed.Ceph, bed.Mail, new ConfigurationBuilder().Build()),
        // A logger of its own: AppServices disposes its logger, the bed's must outlive it.
        Log = new LoggerConfiguration().WriteTo.Sink(new StringSink(bed.LogText)).CreateLogger(),
        Catalog = bed.Catalog,
        Locks = new LeaseJobLockProvider(bed.Db.ConnectionString),
        Rbd = bed.Rbd,
        Mail = new Core.Reporting.SmtpMailSender(bed.Mail),
        Time = time ?? TimeProvider.System,
    };
}
