using CephBackup.Cli;
using CephBackup.Core.Catalog;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace CephBackup.IntegrationTests.Infrastructure;

/// <summary>
/// The exe's composition root over a <see cref="BackupBed"/>, so verb runners run as in production
/// (without a config file: scripts/test.sh exports CEPHBACKUP_TEST_POOL, which the config loader would
/// rightly reject as an unknown CEPHBACKUP_ override).
/// </summary>
public static class BedApp
{
    public static AppServices Create(BackupBed bed, TimeProvider? time = null) => new()
    {
        Config = new AppConfig(bed.Db.ConnectionString, bed.Ceph, bed.Mail, new ConfigurationBuilder().Build()),
        // A logger of its own: AppServices disposes its logger, the bed's must outlive it.
        Log = new LoggerConfiguration().WriteTo.Sink(new StringSink(bed.LogText)).CreateLogger(),
        Catalog = bed.Catalog,
        Locks = new MySqlJobLockProvider(bed.Db.ConnectionString),
        Rbd = bed.Rbd,
        Mail = new Core.Reporting.SmtpMailSender(bed.Mail),
        Time = time ?? TimeProvider.System,
    };

    /// <summary>
    /// <see cref="BackupBed.AddJobAsync"/> with a random job id: job locks are MySQL named locks, which are
    /// server-wide, so job 1 of this test's database collides with job 1 of a test running elsewhere on the
    /// shared MariaDB (seen as a spurious AlreadyRunning). Call before linking images to the job.
    /// </summary>
    public static async Task<int> AddIsolatedJobAsync(this BackupBed bed, string name, int maxInc, string? mode = null, string? prefix = "BK")
    {
        var id = await bed.AddJobAsync(name, maxInc, mode, prefix);
        var unique = Random.Shared.Next(1_000_000, int.MaxValue);
        await bed.Db.ExecAsync($"UPDATE backup_jobs SET idbackup_jobs = {unique} WHERE idbackup_jobs = {id}");
        return unique;
    }
}
