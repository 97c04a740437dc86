using System.Diagnostics;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Restore;

namespace CephBackup.IntegrationTests.Faults;

/// <summary>A signal to a real exec process, and the catalog dying between images.</summary>
public class ExecInterruptTests
{
    [Fact]
    public async Task Sigterm_during_an_export_undoes_it_still_mails_what_finished_and_exits_130()
    {
        await using var bed = await BackupBed.CreateAsync();
        var job = await bed.AddJobAsync("SIG", maxInc: 3);
        var small = await bed.AddImageAsync(job, "a-small", size: 16L << 20);
        var big = "cbt-" + TestEnv.Unique();
        bed.Images.Add(big);
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, big, 1L << 30, Enumerable.Range(0, 96).Select(i => ((long)i * (8 << 20), 4 << 20)).ToArray());
        await bed.LinkAsync(job, "b-big", big);
        var cli = new CliRun(bed.Root, bed.Db.ConnectionString, bed.Smtp.Port);
        var partial = PointFiles.Partial(Path.Combine(bed.Root, "SIG", "b-big", big, "000001", "000000"));

        // A child in its own session, as a service manager starts it (signals from the test harness's own
        // process group cannot reach it by accident).
        using var child = CliChild.Start(cli.ConfigPath, "exec");
        var sw = Stopwatch.StartNew();
        while ((await bed.Catalog.GetPointsAsync(null, null, small, CancellationToken.None)).Count == 0 && sw.Elapsed < TimeSpan.FromSeconds(180))
            await Task.Delay(5);
        // Checked last and alone, right before the signal: the big export must still be running.
        while (!File.Exists(partial) && sw.Elapsed < TimeSpan.FromSeconds(180))
            await Task.Delay(2);
        Assert.True(File.Exists(partial), "the big export was not caught running: " + cli.AllLogs());
        child.Signal(CliChild.SigTerm, group: false);
        var (exit, _, stderrText, _) = await child.WaitAsync(TimeSpan.FromSeconds(120));
        var stderr = Task.FromResult(stderrText);
        Assert.True(exit == (int)ExitCode.Cancelled, $"exit {exit}: {stderrText} {cli.AllLogs()}");
        Assert.DoesNotContain("   at ", await stderr); // no stack trace
        Assert.Single(await bed.Catalog.GetPointsAsync(null, null, small, CancellationToken.None));
        Assert.Empty(await bed.Catalog.GetPointsAsync(null, null, big, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(bed.Root, "SIG", "b-big"), "*", SearchOption.AllDirectories));
        Assert.DoesNotContain("BK-", await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{big}"));
        var mail = (await bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.StartsWith("[FAIL] CEPH Backup SIG (2 objects)", mail.Subject);
        Assert.Contains("cancelled", mail.TextBody);
        Assert.Contains(small, mail.TextBody);

        var again = await bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, again.ExitCode);
        Assert.Equal("000001-000000", Assert.Single(await bed.Catalog.GetPointsAsync(null, null, big, CancellationToken.None)).RestorePoint);
    }

    [Fact]
    public async Task The_catalog_dying_after_one_image_still_mails_every_job_and_never_says_no_backup_was_made()
    {
        await using var bed = await BackupBed.CreateAsync();
        await using var db = await PrivateMariaDb.StartAsync();
        await new Migrator(db.ConnectionString).MigrateAsync(CancellationToken.None);
        var images = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var img = "cbt-" + TestEnv.Unique();
            bed.Images.Add(img);
            images.Add(img);
            await TestRbd.CreateWithDataAsync(TestEnv.Pool, img, 16L << 20, (0, 1 << 20));
        }
        await using (var c = new MySqlConnector.MySqlConnection(db.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new MySqlConnector.MySqlCommand(
                $"INSERT INTO backup_jobs (idbackup_jobs, name, max_inc, enabled, path, `snap-prefix`) VALUES (1, 'CA', 3, 1, '{bed.Root}', 'BK'), (2, 'CB', 3, 1, '{bed.Root}', 'BK');" +
                $"INSERT INTO vms (idvms, vm, image) VALUES (1, 'vm1', '{images[0]}'), (2, 'vm2', '{images[1]}'), (3, 'vm3', '{images[2]}');" +
                "INSERT INTO backup_vms (idbackup_jobs, idvms, id) VALUES (1, 1, 1), (1, 2, 2), (2, 3, 3);", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var catalog = new MySqlCatalog(db.ConnectionString);
        var dying = AfterCall<ICatalog>.Wrap(catalog, nameof(ICatalog.RecordPointAsync), () => db.StopAsync().GetAwaiter().GetResult());
        var outcome = await BedApp.Create(bed, catalog: dying, connectionString: db.ConnectionString, parallelism: 1, leaseSeconds: 6).Backup()
            .RunAsync(new ExecRequest(), CancellationToken.None);

        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Equal(2, outcome.Jobs.Count);
        var mails = await bed.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        Assert.Contains(mails, m => m.Message.Subject!.StartsWith("[FAIL] CEPH Backup CA") && m.Message.TextBody!.Contains(images[0]) && m.Message.TextBody.Contains("SUCCESS"));
        Assert.Contains(mails, m => m.Message.Subject!.Contains("CEPH Backup CB"));
        Assert.All(mails, m => Assert.DoesNotContain("No backup was made", m.Message.TextBody));

        await db.StartAgainAsync();
        // The broken run could not release its job lease while the server was down: it expires (6 s here).
        var leases = new LeaseJobLockProvider(db.ConnectionString, leaseSeconds: 6);
        for (var i = 0; i < 100 && await leases.GetHolderAsync(1, CancellationToken.None) is not null; i++) await Task.Delay(200);
        var healed = await BedApp.Create(bed, catalog: catalog, connectionString: db.ConnectionString, leaseSeconds: 6).Backup().RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.Ok, healed.ExitCode);
        foreach (var img in images) Assert.NotEmpty(await catalog.GetPointsAsync(null, null, img, CancellationToken.None));
    }
}
