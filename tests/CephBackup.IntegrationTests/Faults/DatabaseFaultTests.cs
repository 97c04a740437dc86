using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;
using MySqlConnector;

namespace CephBackup.IntegrationTests.Faults;

public class DatabaseFaultTests
{
    [Fact]
    public async Task MariaDb_stopped_in_the_middle_of_a_job_records_the_point_fully_or_not_at_all_and_the_next_run_reconciles()
    {
        await using var bed = await BackupBed.CreateAsync();
        await using var db = await PrivateMariaDb.StartAsync();
        await new Migrator(db.ConnectionString).MigrateAsync(CancellationToken.None);
        var img = "cbt-" + TestEnv.Unique();
        bed.Images.Add(img);
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, img, 32L << 20, (0, 2 << 20));
        await using (var c = new MySqlConnection(db.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new MySqlCommand(
                $"INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, path, `snap-prefix`) VALUES (1, 'DBF', 3, 1, '{bed.Root}', 'BK');" +
                $"INSERT INTO vms (idvms, vm, image) VALUES (1, 'vmdb', '{img}'); INSERT INTO backup_vms (idbackup_jobs, idvms, id) VALUES (1, 1, 1);", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var catalog = new MySqlCatalog(db.ConnectionString);
        // The export is done and the file renamed; the server dies just before the point is recorded.
        var dying = BeforeCall<ICatalog>.Wrap(catalog, nameof(ICatalog.RecordPointAsync), db.StopAsync);
        var service = BedApp.Create(bed, catalog: dying, connectionString: db.ConnectionString).Backup();

        var broken = await service.RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.PartialFailure, broken.ExitCode);
        var mail = (await bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.StartsWith("[FAIL]", mail.Subject);
        Assert.Contains("could not record the job's completion", mail.TextBody);
        Assert.DoesNotContain("No backup was made", mail.TextBody);
        // The run could not prove it still held the job (its lock died with the server), so it touched
        // nothing: the whole, checksummed point waits for the next run, which adopts it.
        var pointFile = Path.Combine(bed.Root, "DBF", "vmdb", img, "000001", "000000");
        Assert.True(File.Exists(pointFile));
        Assert.Contains("BK-000001-000000", await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{img}"));

        await db.StartAgainAsync();
        Assert.Empty(await catalog.GetPointsAsync(null, null, img, CancellationToken.None));
        var normal = BedApp.Create(bed, catalog: catalog, connectionString: db.ConnectionString).Backup();
        var outcome = await normal.RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var points = await catalog.GetPointsAsync(null, null, img, CancellationToken.None);
        Assert.Equal(["000001-000000", "000001-000001"], points.Select(p => p.RestorePoint));
        Assert.Contains("adopted 000001-000000", outcome.Jobs[0].Images[0].Detail);
        Assert.Equal(await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@BK-000001-000001"), await bed.RestoreByHandAsync(points));
        Assert.True(File.Exists(pointFile));
    }
}
