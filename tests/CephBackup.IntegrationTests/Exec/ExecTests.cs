using System.Security.Cryptography;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Exec;

public class ExecTests : IAsyncLifetime
{
    private BackupBed _bed = null!;
    public async Task InitializeAsync() => _bed = await BackupBed.CreateAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private async Task<List<BackupPoint>> PointsAsync(string image) =>
        (await _bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None)).ToList();

    [Fact]
    public async Task Full_then_incrementals_then_rotation_every_point_restores_bit_exact()
    {
        var job = await _bed.AddJobAsync("J1", maxInc: 2);
        var img = await _bed.AddImageAsync(job, "web01");
        var sources = new List<string>();
        for (var run = 0; run < 4; run++)
        {
            if (run > 0) await BackupBed.ChangeAsync(img);
            var outcome = await _bed.ExecAsync();
            Assert.Equal(ExitCode.Ok, outcome.ExitCode);
            var pts = await PointsAsync(img);
            sources.Add(await TestRbd.Sha256Async($"{TestEnv.Pool}/{img}@{pts[^1].Snapshot}"));
        }
        var points = await PointsAsync(img);
        Assert.Equal(["000001-000000", "000001-000001", "000001-000002", "000002-000000"], points.Select(p => p.RestorePoint));
        Assert.Equal([PointType.Full, PointType.Incremental, PointType.Incremental, PointType.Full], points.Select(p => p.Type));
        Assert.Equal(["BK-000001-000000", "BK-000001-000001", "BK-000001-000002", "BK-000002-000000"], points.Select(p => p.Snapshot));
        foreach (var p in points)
        {
            Assert.Equal(Path.Combine(_bed.Root, "J1", "web01", img, p.Chain.ToString("D6"), p.Point.ToString("D6")), p.FilePath);
            Assert.Equal(p.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p.FilePath))));
            Assert.Equal(p.Sha256, PointFiles.ReadSha(p.FilePath));
            Assert.Equal(64L << 20, p.ImageSizeBytes);
        }
        Assert.Equal(sources[2], await _bed.RestoreByHandAsync(points.Take(3).ToList()));
        Assert.Equal(sources[3], await _bed.RestoreByHandAsync([points[3]]));
        Assert.True(points[0].SizeBytes < 8L << 20, "a full of 5 MiB written must be thin");
        Assert.True(File.Exists(Path.Combine(_bed.Root, "J1", "lastbk.txt")));

        var mails = await _bed.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(10));
        Assert.All(mails, m => Assert.Equal("[SUCCESS] CEPH Backup J1 (1 objects)", m.Message.Subject));
        Assert.Contains("000002-000000", mails[3].Message.TextBody);
        await using var conn = new MySqlConnector.MySqlConnection(_bed.Db.ConnectionString);
        await conn.OpenAsync();
        var (inc, full, success) = await Dapper.SqlMapper.QuerySingleAsync<(int, int, int)>(conn, "SELECT inc, `full`, success FROM backup_vms");
        Assert.Equal((0, 2, 1), (inc, full, success));
        Assert.Equal(4L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "SELECT COUNT(*) FROM backup_log WHERE result='SUCCESS'"));
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
        await using var held = await new MySqlJobLockProvider(_bed.Db.ConnectionString)
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
        await _bed.LinkAsync(job, "s01", "cbt-no-such-image-" + TestEnv.Unique());
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET lastrun = '2026-01-02 03:04:05', lastcompletion = '2026-01-01 00:00:00' WHERE idbackup_jobs = {job}");
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Single(await PointsAsync(img));
        var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
        Assert.Equal("[FAIL] CEPH Backup JS (2 objects)", mail.Subject);
        Assert.Contains("never completed", mail.TextBody);
        Assert.Contains("FAIL", mail.TextBody);
    }

    [Fact]
    public async Task Smtp_down_still_records_the_backup_and_says_report_not_delivered()
    {
        var job = await _bed.AddJobAsync("JN", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "n01");
        var down = _bed.Mail with { Port = TestSmtpServer.FreePort(), Password = "SmtpS3cret", User = "u" };
        var outcome = await _bed.Service(mail: down).RunAsync(new Core.Jobs.ExecRequest(), new StringWriter(), CancellationToken.None);
        Assert.Equal(ExitCode.ReportNotDelivered, outcome.ExitCode);
        Assert.Single(await PointsAsync(img));
        Assert.DoesNotContain("SmtpS3cret", _bed.LogText.ToString());
    }
}
