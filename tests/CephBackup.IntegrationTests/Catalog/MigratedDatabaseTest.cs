using CephBackup.Core.Catalog;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Catalog;

/// <summary>A fresh migrated database with a small PHP-style data set, written with raw SQL.</summary>
public abstract class MigratedDatabaseTest : IAsyncLifetime
{
    protected TestDatabase Db { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Db = await TestDatabase.CreateAsync();
        await new Migrator(Db.ConnectionString).MigrateAsync(CancellationToken.None);
    }

    public virtual async Task DisposeAsync() => await Db.DisposeAsync();

    protected Task SeedAsync() => Db.ExecAsync("""
        INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, lastrun, lastcompletion, path, checkmount, retention, mountpoint, `snap-prefix`, `max-snaps`, `mode`)
          VALUES (3, 'weekly', 6, 0, NULL, NULL, '/srv/bk', 0, NULL, NULL, NULL, NULL, 'differential'),
                 (1, 'nightly', 6, 1, '2024-05-01 02:00:00', '2024-05-01 03:10:00', '/mnt/bk', 1, 4, '/mnt/bk', 'BK01', 7, NULL),
                 (2, 'legacy', NULL, NULL, NULL, NULL, '/srv/old', NULL, 8, NULL, 'OLD', 5, 'incremental');
        INSERT INTO vms (idvms, vm, image) VALUES (1, 'web', 'web-disk1'), (2, 'web', 'web-disk0'), (3, 'db', 'rbd2/db0'), (4, 'lonely', 'x');
        INSERT INTO backup_vms (idbackup_jobs, idvms, id, inc, `full`, lastrun, success)
          VALUES (1, 1, 10, 3, 2, NULL, 1), (1, 2, 11, 0, 0, NULL, NULL), (1, 3, 12, 5, 1, NULL, 0), (3, 2, 13, NULL, NULL, NULL, NULL), (NULL, 1, 14, 0, 0, NULL, NULL);
        INSERT INTO backup_days (idbackup_job, `1`, `2`, `3`, `4`, `5`, `6`, `7`, id) VALUES (1, 1, 0, NULL, 2, 1, 0, 1, 1), (1, 0, 0, 0, 0, 0, 0, 0, 2);
        INSERT INTO backup_weeks (idbackup_job, `1`, `2`, `3`, `4`, `5`, id) VALUES (1, NULL, 2, 0, 1, 0, 1);
        """);

    protected static DateTime Utc(int day, int hour, int minute = 0, int second = 0, int ms = 0) =>
        new(2024, 6, day, hour, minute, second, ms, DateTimeKind.Utc);

    protected static BackupPoint Point(int chain, int point, string image = "web-disk1", int linkId = 10, string status = PointStatus.Ok) => new()
    {
        JobId = 1, JobName = "nightly", LinkId = linkId, Vm = "web", Image = image, Chain = chain, Point = point,
        Type = point == 0 ? PointType.Full : PointType.Incremental, BasePoint = point == 0 ? null : point - 1,
        Snapshot = $"BK01-{chain:D6}-{point:D6}", FilePath = $"/mnt/bk/nightly/web/{image}/{chain:D6}/{point:D6}",
        SizeBytes = 1000L * (point + 1), ImageSizeBytes = 10L << 30, Sha256 = new string('a', 63) + point % 10,
        Status = status, StartedAt = Utc(2, 2, point, 1, 123), EndedAt = Utc(2, 2, point, 30, 456),
    };

    protected static BackupLogEntry Log(string result = "SUCCESS", string type = "inc", string job = "nightly") => new()
    {
        Job = job, Vm = "web", TimeStart = Utc(2, 2, 0, 1), TimeEnd = Utc(2, 2, 0, 30), Type = type, Result = result,
        Path = "/mnt/bk/nightly/web/web-disk1/000002/", Error = result == "FAIL" ? "rbd: export-diff error" : null,
        BackupCmd = "rbd export-diff --from-snap BK01-000002-000003 rbd/web-disk1@BK01-000002-000004 -",
    };
}
