using CephBackup.Core.Catalog;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Catalog;

public sealed class MigratorTests : IAsyncLifetime
{
    private static readonly string[] AllNames = ["base tables", "auto increment", "job mode", "cephbackup tables", "indexes", "job max_parallel", "compression", "libvirt name and point consistency", "leases"];
    private static readonly Dictionary<string, string> PhpTablePks = new()
    {
        ["backup_jobs"] = "idbackup_jobs", ["vms"] = "idvms", ["backup_vms"] = "id",
        ["backup_log"] = "idbackup_log", ["backup_days"] = "id", ["backup_weeks"] = "id",
    };
    private static IEnumerable<string> PhpTables => PhpTablePks.Keys;
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();
    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Empty_database_gets_every_table_and_a_second_run_changes_nothing()
    {
        var m = new Migrator(_db.ConnectionString);
        Assert.Null(await m.CurrentVersionAsync());

        var first = await m.MigrateAsync(CancellationToken.None);
        Assert.Equal(AllNames, first.Applied);
        Assert.Null(first.FromVersion);
        Assert.Equal(Migrator.LatestVersion, first.ToVersion);
        Assert.Equal(Migrator.LatestVersion, await m.CurrentVersionAsync());

        var tables = await DbProbe.LinesAsync(_db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME");
        Assert.Equal(
            "backup_days\nbackup_jobs\nbackup_log\nbackup_vms\nbackup_weeks\ncephbackup_job_locks\ncephbackup_leases\ncephbackup_points\ncephbackup_schema_version\nvms\n",
            tables);
        Assert.Equal("auto_increment", await DbProbe.ScalarAsync(_db,
            "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'backup_log' AND COLUMN_NAME = 'idbackup_log'"));

        var schemaBefore = await DbProbe.SchemaAsync(_db);
        var versionsBefore = await DbProbe.LinesAsync(_db, "SELECT * FROM cephbackup_schema_version ORDER BY version");
        var second = await m.MigrateAsync(CancellationToken.None);
        Assert.Empty(second.Applied);
        Assert.False(second.Changed);
        Assert.Equal(Migrator.LatestVersion, second.FromVersion);
        Assert.Equal(schemaBefore, await DbProbe.SchemaAsync(_db));
        Assert.Equal(versionsBefore, await DbProbe.LinesAsync(_db, "SELECT * FROM cephbackup_schema_version ORDER BY version"));
    }

    [Fact]
    public async Task Php_database_keeps_every_row_and_converges_on_the_fresh_layout()
    {
        await DbProbe.RunScriptAsync(_db, DbProbe.RepoFile("sql/php-original-dump.sql"));
        await _db.ExecAsync("""
            INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, lastrun, lastcompletion, path, checkmount, retention, mountpoint, `snap-prefix`, `max-snaps`)
              VALUES (1, 'nightly', 6, 1, '2024-05-01 02:00:00', '2024-05-01 03:10:00', '/mnt/bk', 1, 4, '/mnt/bk', 'BK01', 7),
                     (2, 'noprefix', 0, 0, NULL, NULL, '/srv/bk', 0, NULL, NULL, NULL, NULL);
            INSERT INTO vms (idvms, vm, image) VALUES (1, 'web', 'web-disk0'), (2, 'web', 'web-disk1'), (7, 'db', 'rbd2/db0');
            INSERT INTO backup_vms (idbackup_jobs, idvms, id, inc, `full`, lastrun, success) VALUES (1, 1, 1, 3, 2, '2024-05-01 02:00:05', 1), (1, 2, 2, 0, 0, NULL, NULL), (2, 7, 5, 1, 1, NULL, 0);
            INSERT INTO backup_log (idbackup_log, job, vm, timestart, timeend, type, result, path, error, backup_cmd)
              VALUES (0, 'nightly', 'web', '2024-05-01 02:00:05', '2024-05-01 02:03:00', 'full', 'SUCCESS', ' /mnt/bk/nightly/web/web-disk0/000002/', NULL, 'rbd export-diff ...'),
                     (1, 'nightly', 'web', '2024-05-02 02:00:05', '2024-05-02 02:01:00', 'inc', 'FAIL', NULL, 'error: boom', NULL);
            INSERT INTO backup_days (idbackup_job, `1`, `2`, `3`, `4`, `5`, `6`, `7`, id) VALUES (1, 1, 0, NULL, 2, 1, 0, 1, 0);
            INSERT INTO backup_weeks (idbackup_job, `1`, `2`, `3`, `4`, `5`, id) VALUES (1, 1, NULL, 0, 0, 1, 3);
            """);

        var columns = new Dictionary<string, IReadOnlyList<string>>();
        var rowsBefore = new Dictionary<string, string>();
        foreach (var t in PhpTables)
        {
            columns[t] = await DbProbe.ColumnNamesAsync(_db, t);
            rowsBefore[t] = await DbProbe.RowsAsync(_db, t, columns[t], PhpTablePks[t]);
        }

        var m = new Migrator(_db.ConnectionString);
        var first = await m.MigrateAsync(CancellationToken.None);
        Assert.Equal(AllNames, first.Applied);

        foreach (var t in PhpTables)
        {
            Assert.Equal(rowsBefore[t], await DbProbe.RowsAsync(_db, t, columns[t], PhpTablePks[t]));
            // Additive only: the PHP columns keep their positions (bkexec.php unpacks backup_jobs positionally).
            Assert.Equal(columns[t], (await DbProbe.ColumnNamesAsync(_db, t)).Take(columns[t].Count));
        }
        Assert.Contains("0 | nightly | web", rowsBefore["backup_log"]);

        // The point of v2: the PHP-style insert without an id now works and does not collide with id 0/1.
        await _db.ExecAsync("INSERT INTO backup_log (job, vm, type, result) VALUES ('nightly', 'web', 'inc', 'SUCCESS')");
        Assert.Equal(2L, Convert.ToInt64(await DbProbe.ScalarAsync(_db, "SELECT MAX(idbackup_log) FROM backup_log")));
        Assert.Equal("mode | varchar(16) | YES", (await DbProbe.LinesAsync(_db,
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'backup_jobs' AND COLUMN_NAME = 'mode'")).Trim());

        var schema = await DbProbe.SchemaAsync(_db);
        var second = await m.MigrateAsync(CancellationToken.None);
        Assert.Empty(second.Applied);
        Assert.Equal(schema, await DbProbe.SchemaAsync(_db));

        await using var fresh = await TestDatabase.CreateAsync();
        await new Migrator(fresh.ConnectionString).MigrateAsync(CancellationToken.None);
        Assert.Equal(schema, await DbProbe.SchemaAsync(fresh));
    }

    [Fact]
    public async Task V1_on_an_empty_database_is_exactly_the_php_layout()
    {
        await using var php = await TestDatabase.CreateAsync();
        await DbProbe.RunScriptAsync(php, DbProbe.RepoFile("sql/php-original-dump.sql"));
        await new Migrator(_db.ConnectionString).MigrateAsync(CancellationToken.None);

        foreach (var t in PhpTables)
        {
            var sql = $"""
                SELECT ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT
                FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{t}' AND COLUMN_NAME NOT IN ('mode', 'max_parallel', 'compression', 'libvirt_name')
                ORDER BY ORDINAL_POSITION
                """;
            Assert.Equal(await DbProbe.LinesAsync(php, sql), await DbProbe.LinesAsync(_db, sql));
        }
    }

    [Fact]
    public async Task Schema_sql_describes_what_migrate_produces()
    {
        await using var reference = await TestDatabase.CreateAsync();
        await DbProbe.RunScriptAsync(reference, DbProbe.RepoFile("sql/schema.sql"));
        await new Migrator(_db.ConnectionString).MigrateAsync(CancellationToken.None);
        Assert.Equal(await DbProbe.SchemaAsync(_db), await DbProbe.SchemaAsync(reference));
    }

    [Fact]
    public async Task A_half_applied_step_is_finished_by_the_next_run()
    {
        // Simulates a crash after DDL auto-committed but before the version row was written.
        await new Migrator(_db.ConnectionString).MigrateAsync(CancellationToken.None);
        await _db.ExecAsync("DELETE FROM cephbackup_schema_version WHERE version >= 3; DROP INDEX ix_vms_vm ON vms");

        var again = await new Migrator(_db.ConnectionString).MigrateAsync(CancellationToken.None);
        Assert.Equal(["job mode", "cephbackup tables", "indexes", "job max_parallel", "compression", "libvirt name and point consistency", "leases"], again.Applied);
        Assert.Equal("1", (await DbProbe.LinesAsync(_db,
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'vms' AND COLUMN_NAME = 'vm'")).Trim());
    }

    [Fact]
    public async Task Concurrent_migrations_apply_each_step_once()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            Task.Run(() => new Migrator(_db.ConnectionString).MigrateAsync(CancellationToken.None))));
        Assert.Equal(AllNames, Assert.Single(runs, r => r.Changed).Applied);
        Assert.Equal(AllNames.Length, runs.Sum(r => r.Applied.Count));
    }
}
