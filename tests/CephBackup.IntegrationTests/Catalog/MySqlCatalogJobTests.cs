using CephBackup.Core.Catalog;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Catalog;

public sealed class MySqlCatalogJobTests : MigratedDatabaseTest
{
    private MySqlCatalog _catalog = null!;

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

    [Fact]
    public async Task Jobs_are_read_by_column_name_including_hyphenated_and_null_columns()
    {
        var jobs = await _catalog.GetJobsAsync(enabledOnly: false, CancellationToken.None);

        Assert.Equal([1, 2, 3], jobs.Select(j => j.Id));
        Assert.Equal(new BackupJob
        {
            Id = 1, Name = "nightly", MaxInc = 6, Enabled = 1, LastRun = new DateTime(2024, 5, 1, 2, 0, 0, DateTimeKind.Utc),
            LastCompletion = new DateTime(2024, 5, 1, 3, 10, 0, DateTimeKind.Utc), Path = "/mnt/bk", CheckMount = 1,
            Retention = 4, MountPoint = "/mnt/bk", SnapPrefix = "BK01", MaxSnaps = 7, Mode = null,
        }, jobs[0]);
        Assert.Equal(DateTimeKind.Utc, jobs[0].LastRun!.Value.Kind);
        Assert.Equal(new BackupJob
        {
            Id = 2, Name = "legacy", MaxInc = 0, Enabled = 0, Path = "/srv/old", CheckMount = 0, Retention = 8,
            SnapPrefix = "OLD", MaxSnaps = 5, Mode = "incremental",
        }, jobs[1]);
        Assert.Equal(new BackupJob
        {
            Id = 3, Name = "weekly", MaxInc = 6, Enabled = 0, Path = "/srv/bk", Retention = null, SnapPrefix = null,
            MaxSnaps = null, Mode = "differential",
        }, jobs[2]);
    }

    [Fact]
    public async Task Enabled_only_means_enabled_equals_one()
    {
        var jobs = await _catalog.GetJobsAsync(enabledOnly: true, CancellationToken.None);
        Assert.Equal([1], jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task Job_by_name_finds_it_or_returns_null()
    {
        Assert.Equal(3, (await _catalog.GetJobByNameAsync("weekly", CancellationToken.None))?.Id);
        Assert.Null(await _catalog.GetJobByNameAsync("nope", CancellationToken.None));
    }

    [Fact]
    public async Task Times_are_utc_even_when_the_connection_string_does_not_ask_for_it()
    {
        var plain = new MySqlConnectionStringBuilder(Db.ConnectionString) { DateTimeKind = MySqlDateTimeKind.Unspecified };
        await using var catalog = new MySqlCatalog(plain.ConnectionString);
        var job = await catalog.GetJobByNameAsync("nightly", CancellationToken.None);
        Assert.Equal(DateTimeKind.Utc, job!.LastRun!.Value.Kind);
    }

    [Fact]
    public async Task Job_images_join_vms_and_are_ordered_by_vm_then_image()
    {
        var images = await _catalog.GetJobImagesAsync(1, CancellationToken.None);
        Assert.Equal(
        [
            new JobImage { LinkId = 12, JobId = 1, VmId = 3, Vm = "db", Image = "rbd2/db0", Inc = 5, Full = 1 },
            new JobImage { LinkId = 11, JobId = 1, VmId = 2, Vm = "web", Image = "web-disk0", Inc = 0, Full = 0 },
            new JobImage { LinkId = 10, JobId = 1, VmId = 1, Vm = "web", Image = "web-disk1", Inc = 3, Full = 2 },
        ], images);

        // NULL counters (possible in the PHP schema) read as 0 = "never backed up".
        var weekly = Assert.Single(await _catalog.GetJobImagesAsync(3, CancellationToken.None));
        Assert.Equal((13, 0, 0), (weekly.LinkId, weekly.Inc, weekly.Full));
        Assert.Empty(await _catalog.GetJobImagesAsync(99, CancellationToken.None));
    }

    [Fact]
    public async Task Images_of_a_vm_span_jobs_and_skip_links_without_a_job()
    {
        var images = await _catalog.GetImagesOfVmAsync("web", CancellationToken.None);
        Assert.Equal([(11, 1, "web-disk0"), (13, 3, "web-disk0"), (10, 1, "web-disk1")],
            images.Select(i => (i.LinkId, i.JobId, i.Image!)));
        Assert.Empty(await _catalog.GetImagesOfVmAsync("lonely", CancellationToken.None));
    }

    [Fact]
    public async Task Schedule_flags_treat_null_and_zero_as_unset_and_any_other_value_as_set()
    {
        var days = await _catalog.GetDaysAsync(1, CancellationToken.None);
        Assert.NotNull(days);
        Assert.Equal([true, false, false, true, true, false, true], Enumerable.Range(1, 7).Select(days.IsSet));
        Assert.Equal(7, days.Flags.Count);

        var weeks = await _catalog.GetWeeksAsync(1, CancellationToken.None);
        Assert.NotNull(weeks);
        Assert.Equal([false, true, false, true, false], Enumerable.Range(1, 5).Select(weeks.IsSet));
        Assert.Equal(5, weeks.Flags.Count);

        Assert.Null(await _catalog.GetDaysAsync(2, CancellationToken.None));
        Assert.Null(await _catalog.GetWeeksAsync(2, CancellationToken.None));
    }

    [Fact]
    public async Task Last_run_and_completion_times_are_written_to_the_php_columns()
    {
        await _catalog.SetJobLastRunAsync(3, Utc(5, 1, 2, 3), CancellationToken.None);
        await _catalog.SetJobLastCompletionAsync(3, Utc(5, 4, 5, 6), CancellationToken.None);
        await _catalog.SetImageLastRunAsync(13, Utc(5, 1, 9, 0), CancellationToken.None);

        Assert.Equal("2024-06-05 01:02:03 | 2024-06-05 04:05:06", (await DbProbe.LinesAsync(Db,
            "SELECT DATE_FORMAT(lastrun, '%Y-%m-%d %T'), DATE_FORMAT(lastcompletion, '%Y-%m-%d %T') FROM backup_jobs WHERE idbackup_jobs = 3")).Trim());
        Assert.Equal("2024-06-05 01:09:00", (await DbProbe.LinesAsync(Db,
            "SELECT DATE_FORMAT(lastrun, '%Y-%m-%d %T') FROM backup_vms WHERE id = 13")).Trim());
        Assert.Equal("NULL", (await DbProbe.LinesAsync(Db, "SELECT lastrun FROM backup_jobs WHERE idbackup_jobs = 2")).Trim());
    }

    [Fact]
    public async Task Local_times_are_refused_rather_than_stored_as_if_they_were_utc()
    {
        var local = new DateTime(2024, 6, 5, 1, 2, 3, DateTimeKind.Local);
        await Assert.ThrowsAsync<CatalogException>(() => _catalog.SetJobLastRunAsync(3, local, CancellationToken.None));
        Assert.Equal("NULL", (await DbProbe.LinesAsync(Db, "SELECT lastrun FROM backup_jobs WHERE idbackup_jobs = 3")).Trim());
    }
}
