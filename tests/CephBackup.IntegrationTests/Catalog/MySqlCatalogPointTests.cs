using CephBackup.Core;
using CephBackup.Core.Catalog;

namespace CephBackup.IntegrationTests.Catalog;

public sealed class MySqlCatalogPointTests : MigratedDatabaseTest
{
    private MySqlCatalog _catalog = null!;
    private static readonly CancellationToken Ct = CancellationToken.None;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync();
        _catalog = new MySqlCatalog(Db.ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        await _catalog.DisposeAsync();
        await base.DisposeAsync();
    }

    private Task<string> LinkRowAsync(int id) =>
        DbProbe.LinesAsync(Db, $"SELECT inc, `full`, success FROM backup_vms WHERE id = {id}");

    private Task<string> LogRowsAsync() => DbProbe.LinesAsync(Db, """
        SELECT idbackup_log, job, vm, DATE_FORMAT(timestart, '%Y-%m-%d %T'), DATE_FORMAT(timeend, '%Y-%m-%d %T'), type, result, path, error, backup_cmd
        FROM backup_log ORDER BY idbackup_log
        """);

    [Fact]
    public async Task Record_point_writes_the_point_the_counters_and_the_log()
    {
        var p = Point(2, 4) with { VerifiedAt = Utc(2, 3, 0, 0, 789) };
        var id = await _catalog.RecordPointAsync(p, Log(), Ct);

        Assert.Equal(p with { Id = id }, Assert.Single(await _catalog.GetPointsAsync(null, null, null, Ct)));
        Assert.Equal("4 | 2 | 1\n", await LinkRowAsync(10));
        Assert.Equal(
            "1 | nightly | web | 2024-06-02 02:00:01 | 2024-06-02 02:00:30 | inc | SUCCESS | /mnt/bk/nightly/web/web-disk1/000002/ | NULL | "
            + "rbd export-diff --from-snap BK01-000002-000003 rbd/web-disk1@BK01-000002-000004 -\n",
            await LogRowsAsync());
        Assert.Equal("incremental | 3 | ok", (await DbProbe.LinesAsync(Db, "SELECT type, base_point, status FROM cephbackup_points")).Trim());
    }

    [Fact]
    public async Task Record_point_rolls_everything_back_when_the_log_insert_fails()
    {
        await Db.ExecAsync("""
            CREATE TRIGGER fail_log BEFORE INSERT ON backup_log FOR EACH ROW
              SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'log insert refused by test'
            """);
        var before = await LinkRowAsync(10);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => _catalog.RecordPointAsync(Point(2, 4), Log(), Ct));
        Assert.Contains("refused by test", e.Message);
        Assert.Empty(await _catalog.GetPointsAsync(null, null, null, Ct));
        Assert.Equal(before, await LinkRowAsync(10));
    }

    [Fact]
    public async Task Record_point_for_a_vanished_link_records_nothing()
    {
        var e = await Assert.ThrowsAsync<CatalogException>(() => _catalog.RecordPointAsync(Point(1, 0, linkId: 999), Log(), Ct));
        Assert.Equal(ExitCode.DatabaseError, e.Code);
        Assert.Empty(await _catalog.GetPointsAsync(null, null, null, Ct));
        Assert.Equal("", await LogRowsAsync());
    }

    [Fact]
    public async Task Record_failure_clears_success_keeps_counters_and_logs()
    {
        await _catalog.RecordFailureAsync(10, Log("FAIL", "full"), Ct);

        Assert.Equal("3 | 2 | 0\n", await LinkRowAsync(10));
        Assert.Matches(@"^1 \| nightly \| web \| .* \| full \| FAIL \| /mnt/bk/nightly/web/web-disk1/000002/ \| rbd: export-diff error \| rbd export-diff",
            await LogRowsAsync());
        Assert.Empty(await _catalog.GetPointsAsync(null, null, null, Ct));
    }

    [Fact]
    public async Task Log_values_wider_than_the_php_columns_are_cut_instead_of_failing_the_point()
    {
        var longJob = new string('j', 60);
        await _catalog.RecordPointAsync(Point(1, 0) with { JobName = longJob }, Log(job: longJob, type: "differential"), Ct);

        Assert.Equal(new string('j', 45) + " | differ", (await DbProbe.LinesAsync(Db, "SELECT job, type FROM backup_log")).Trim());
        Assert.Equal(longJob, Assert.Single(await _catalog.GetPointsAsync(null, null, null, Ct)).JobName);
    }

    [Fact]
    public async Task Import_point_is_idempotent_on_job_image_chain_point()
    {
        var p = Point(1, 2, status: PointStatus.Unverified);
        Assert.True(await _catalog.ImportPointAsync(p, Ct));
        Assert.False(await _catalog.ImportPointAsync(p with { SizeBytes = 1, FilePath = "/elsewhere" }, Ct));

        var stored = Assert.Single(await _catalog.GetPointsAsync(null, null, null, Ct));
        Assert.Equal(p with { Id = stored.Id }, stored);
        Assert.Equal("3 | 2 | 1\n", await LinkRowAsync(10)); // import does not move the chain counters
        Assert.True(await _catalog.ImportPointAsync(p with { Image = "web-disk0" }, Ct));
    }

    [Fact]
    public async Task Points_filters_are_anded_ordered_by_image_chain_point_and_include_deleting()
    {
        foreach (var p in new[]
        {
            Point(2, 1), Point(1, 0, status: PointStatus.Deleting), Point(2, 0), Point(1, 1),
            Point(1, 0, image: "web-disk0", linkId: 11) with { Vm = "web" },
            Point(1, 0, image: "rbd2/db0", linkId: 12) with { Vm = "db" },
        })
        {
            Assert.True(await _catalog.ImportPointAsync(p, Ct));
        }
        await _catalog.ImportPointAsync(Point(1, 0) with { JobId = 3, JobName = "weekly", LinkId = 13 }, Ct);

        static string Labels(IEnumerable<BackupPoint> ps) => string.Join(",", ps.Select(p => $"{p.JobId}:{p.Image}:{p.RestorePoint}"));

        Assert.Equal("1:rbd2/db0:000001-000000,1:web-disk0:000001-000000,1:web-disk1:000001-000000,3:web-disk1:000001-000000,"
            + "1:web-disk1:000001-000001,1:web-disk1:000002-000000,1:web-disk1:000002-000001",
            Labels(await _catalog.GetPointsAsync(null, null, null, Ct)));
        Assert.Equal("1:web-disk1:000001-000000,1:web-disk1:000001-000001,1:web-disk1:000002-000000,1:web-disk1:000002-000001",
            Labels(await _catalog.GetPointsAsync(1, "web", "web-disk1", Ct)));
        Assert.Equal("1:rbd2/db0:000001-000000", Labels(await _catalog.GetPointsAsync(null, "db", null, Ct)));
        Assert.Equal("3:web-disk1:000001-000000", Labels(await _catalog.GetPointsAsync(3, null, null, Ct)));
        Assert.Equal("", Labels(await _catalog.GetPointsAsync(3, "db", null, Ct)));
        Assert.Equal(PointStatus.Deleting, (await _catalog.GetPointsAsync(1, null, "web-disk1", Ct))[0].Status);
    }

    [Fact]
    public async Task Status_delete_and_verified_updates_touch_only_the_given_points()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++) ids.Add(await _catalog.RecordPointAsync(Point(1, i), Log(), Ct));

        await _catalog.SetPointStatusAsync([ids[0], ids[1]], PointStatus.Deleting, Ct);
        await _catalog.SetPointStatusAsync([], PointStatus.Ok, Ct);
        await _catalog.SetVerifiedAsync(ids[2], Utc(9, 8, 7, 6, 5), Ct);
        var points = await _catalog.GetPointsAsync(1, null, null, Ct);
        Assert.Equal([PointStatus.Deleting, PointStatus.Deleting, PointStatus.Ok], points.Select(p => p.Status));
        Assert.Equal([null, null, Utc(9, 8, 7, 6, 5)], points.Select(p => p.VerifiedAt));
        Assert.Equal(DateTimeKind.Utc, points[2].VerifiedAt!.Value.Kind);

        await _catalog.DeletePointsAsync([ids[0], ids[1]], Ct);
        await _catalog.DeletePointsAsync([], Ct);
        Assert.Equal([ids[2]], (await _catalog.GetPointsAsync(null, null, null, Ct)).Select(p => p.Id));

        await Assert.ThrowsAsync<ArgumentException>(() => _catalog.SetPointStatusAsync([ids[2]], "gone", Ct));
    }
}
