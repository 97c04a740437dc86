using System.Security.Cryptography;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Exec;

public class ExecTests : BedTest
{
    [Fact]
    public async Task Two_vms_three_disks_full_then_incrementals_then_rotation_every_point_restores_bit_exact()
    {
        var job = await _bed.AddJobAsync("J1", maxInc: 2);
        var disks = new[] { ("web01", await _bed.AddImageAsync(job, "web01")), ("db01", await _bed.AddImageAsync(job, "db01")), ("db01", await _bed.AddImageAsync(job, "db01")) };
        var sources = new Dictionary<string, List<string>>();
        for (var run = 0; run < 4; run++)
        {
            if (run > 0) foreach (var (_, img) in disks) await BackupBed.ChangeAsync(img);
            var outcome = await _bed.ExecAsync();
            Assert.Equal(ExitCode.Ok, outcome.ExitCode);
            foreach (var (_, img) in disks)
            {
                var pts = await PointsAsync(img);
                (sources.TryGetValue(img, out var l) ? l : sources[img] = []).Add(await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@{pts[^1].Snapshot}"));
            }
        }
        foreach (var (vm, img) in disks)
        {
            var points = await PointsAsync(img);
            Assert.Equal(["000001-000000", "000001-000001", "000001-000002", "000002-000000"], points.Select(p => p.RestorePoint));
            Assert.Equal([PointType.Full, PointType.Incremental, PointType.Incremental, PointType.Full], points.Select(p => p.Type));
            Assert.Equal(["BK-000001-000000", "BK-000001-000001", "BK-000001-000002", "BK-000002-000000"], points.Select(p => p.Snapshot));
            foreach (var p in points)
            {
                Assert.Equal(Path.Combine(_bed.Root, "J1", vm, img, p.Chain.ToString("D6"), p.Point.ToString("D6")), p.FilePath);
                Assert.Equal(p.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p.FilePath))));
                Assert.Equal(p.Sha256, PointFiles.ReadSha(p.FilePath));
                Assert.Equal(64L << 20, p.ImageSizeBytes);
            }
            for (var i = 0; i < 3; i++) Assert.Equal(sources[img][i], await _bed.RestoreByHandAsync(points.Take(i + 1)));
            Assert.Equal(sources[img][3], await _bed.RestoreByHandAsync([points[3]]));
            Assert.True(points[0].SizeBytes < 8L << 20, "a full of 5 MiB written must be thin");
            Assert.Equal(PointSidecar.Version, PointFiles.ReadSidecar(points[0].FilePath)!.ToolVersion);
        }
        Assert.True(File.Exists(Path.Combine(_bed.Root, "J1", "lastbk.txt")));

        var mails = await _bed.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(10));
        Assert.All(mails, m => Assert.Equal("[SUCCESS] CEPH Backup J1 (3 objects)", m.Message.Subject));
        Assert.Equal(3, mails[3].Message.TextBody!.Split('\n').Count(l => l.Contains("FULL 000002-000000")));
        await using var conn = new MySqlConnector.MySqlConnection(_bed.Db.ConnectionString);
        await conn.OpenAsync();
        var counters = (await Dapper.SqlMapper.QueryAsync<(int, int, int)>(conn, "SELECT inc, `full`, success FROM backup_vms")).ToList();
        Assert.All(counters, c => Assert.Equal((0, 2, 1), c));
        Assert.Equal(12L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "SELECT COUNT(*) FROM backup_log WHERE result='SUCCESS'"));
    }

    [Fact]
    public async Task A_day_the_schedule_excludes_does_nothing_and_a_missing_mount_fails_the_job()
    {
        var job = await _bed.AddJobAsync("JW", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "w01");
        await _bed.Db.ExecAsync($"INSERT INTO backup_days (idbackup_job, `1`, `2`, `3`, `4`, `5`, `6`, `7`, id) VALUES ({job}, 1, 0, 0, 0, 0, 0, 0, 1)");
        var tuesday = await _bed.Service().RunAsync(new Core.Jobs.ExecRequest { Date = new DateOnly(2026, 12, 1) }, CancellationToken.None);
        Assert.Equal(ExitCode.Ok, tuesday.ExitCode);
        Assert.Equal(Core.Reporting.JobResult.Skipped, tuesday.Jobs[0].Result);
        Assert.Empty(await PointsAsync(img));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_bed.Root));

        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET checkmount = 1, mountpoint = '{_bed.Root}' WHERE idbackup_jobs = {job}");
        var monday = await _bed.Service().RunAsync(new Core.Jobs.ExecRequest { Date = new DateOnly(2026, 11, 30) }, CancellationToken.None);
        Assert.Equal(ExitCode.PartialFailure, monday.ExitCode);
        Assert.Empty(await PointsAsync(img));
        var mails = await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
        Assert.Single(mails);
        Assert.Equal("[FAIL] CEPH Backup JW (ALL objects)", mails[0].Message.Subject);
        Assert.Contains("is not mounted", mails[0].Message.TextBody);
    }

    [Fact]
    public async Task Differential_points_start_from_the_full_and_restore_with_two_files()
    {
        var job = await _bed.AddJobAsync("JD", maxInc: 5, mode: "differential", prefix: "DF");
        var img = await _bed.AddImageAsync(job, "db01");
        string? lastSource = null;
        for (var run = 0; run < 3; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(img);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
            lastSource = await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@DF-000001-{run:D6}");
        }
        var points = await PointsAsync(img);
        Assert.Equal([null, 0, 0], points.Select(p => p.BasePoint));
        Assert.Equal(PointType.Differential, points[2].Type);
        Assert.Equal(lastSource, await _bed.RestoreByHandAsync([points[0], points[2]]));
    }

    [Fact]
    public async Task Multi_disk_vm_gets_every_disk_and_a_dry_run_changes_nothing()
    {
        var job = await _bed.AddJobAsync("JM", maxInc: 3);
        var a = await _bed.AddImageAsync(job, "app01");
        var b = await _bed.AddImageAsync(job, "app01");
        var plan = new StringWriter();
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync(dryRun: true, plan: plan)).ExitCode);
        Assert.Contains($"app01/{a}: FULL 000001-000000 snapshot BK-000001-000000", plan.ToString());
        Assert.Empty(await PointsAsync(a));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_bed.Root));
        Assert.Equal("[]", (await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{a}")).Trim());
        Assert.Empty(_bed.Smtp.Messages);

        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        Assert.Single(await PointsAsync(a));
        Assert.Single(await PointsAsync(b));
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Equal("[SUCCESS] CEPH Backup JM (2 objects)", mail.Subject);
        Assert.Contains(a, mail.HtmlBody);
        Assert.Contains(b, mail.HtmlBody);
    }

    [Fact]
    public async Task Missing_base_snapshot_or_corrupt_base_file_starts_a_new_chain_and_says_why()
    {
        var job = await _bed.AddJobAsync("JH", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "h01");
        await _bed.ExecAsync();
        await TestRbd.RunAsync("snap", "rm", "--no-progress", $"{TestEnv.Pool}/{img}@BK-000001-000000");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var pts = await PointsAsync(img);
        Assert.Equal("000002-000000", pts[^1].RestorePoint);
        var mails = await _bed.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        Assert.Contains("base snapshot BK-000001-000000 is missing on Ceph", mails[1].Message.TextBody);

        await using (var f = new FileStream(pts[^1].FilePath, FileMode.Open, FileAccess.Write))
        {
            f.Position = f.Length / 2;
            f.WriteByte(0x55); f.WriteByte(0xAA);
        }
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        Assert.Equal("000003-000000", (await PointsAsync(img))[^1].RestorePoint);
        mails = await _bed.Smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10));
        Assert.Contains("does not match its recorded sha256", mails[2].Message.TextBody);
    }

    [Fact]
    public async Task A_job_held_by_another_run_reports_already_running_with_the_holder()
    {
        var job = await _bed.AddJobAsync("JL", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "l01");
        await using var held = await new LeaseJobLockProvider(_bed.Db.ConnectionString)
            .TryAcquireAsync(job, "otherhost", 4242, DateTime.UtcNow, CancellationToken.None);
        Assert.NotNull(held);
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.AlreadyRunning, outcome.ExitCode);
        Assert.Empty(await PointsAsync(img));
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Equal("[FAIL] CEPH Backup JL (ALL objects)", mail.Subject);
        Assert.Contains("otherhost pid 4242", mail.TextBody);
    }

    [Fact]
    public async Task A_stale_lastrun_warns_but_does_not_block_and_a_failed_image_changes_no_counter()
    {
        var job = await _bed.AddJobAsync("JS", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "s01");
        var missing = "cbt-missing-" + TestEnv.Unique();
        await _bed.LinkAsync(job, "s01", missing);
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET lastrun = '2026-01-02 03:04:05', lastcompletion = '2026-01-01 00:00:00' WHERE idbackup_jobs = {job}");
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Single(await PointsAsync(img));
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Equal("[FAIL] CEPH Backup JS (2 objects)", mail.Subject);
        Assert.Contains("never completed", mail.TextBody);
        Assert.Contains("No such file or directory", mail.TextBody); // rbd's own message
        await using (var conn = new MySqlConnector.MySqlConnection(_bed.Db.ConnectionString))
        {
            await conn.OpenAsync();
            Assert.Equal((0, 0, 0), await Dapper.SqlMapper.QuerySingleAsync<(int, int, int)>(conn,
                "SELECT b.inc, b.`full`, b.success FROM backup_vms b JOIN vms v ON v.idvms = b.idvms WHERE v.image = @missing", new { missing }));
        }
        Assert.False(Directory.Exists(Path.Combine(_bed.Root, "JS", "s01", missing)));

        await TestRbd.CreateWithDataAsync(TestEnv.Pool, missing, 16L << 20, (0, 1 << 20));
        _bed.Images.Add(missing);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        Assert.Equal("000001-000000", Assert.Single(await PointsAsync(missing)).RestorePoint);
    }

    [Fact]
    public async Task Smtp_down_still_records_the_backup_and_says_report_not_delivered()
    {
        var job = await _bed.AddJobAsync("JN", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "n01");
        var down = _bed.Mail with { Port = TestSmtpServer.FreePort(), Password = "SmtpS3cret", User = "u" };
        var outcome = await _bed.Service(mail: down).RunAsync(new Core.Jobs.ExecRequest(), CancellationToken.None);
        Assert.Equal(ExitCode.ReportNotDelivered, outcome.ExitCode);
        Assert.Single(await PointsAsync(img));
        Assert.DoesNotContain("SmtpS3cret", _bed.LogText.ToString());
    }
}
