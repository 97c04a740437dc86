using System.Diagnostics;
using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Faults;

/// <summary>Rows of docs/RELIABILITY.md: crashes, full disks, dead services, concurrent runs, hostile names.</summary>
public class ExecFaultTests : BedTest
{
    private Task<IReadOnlyList<BackupPoint>> Points(string image) => _bed.Catalog.GetPointsAsync(null, null, image, CancellationToken.None);

    private static async Task<string> Snaps(string image) =>
        await TestRbd.RunAsync("snap", "ls", "--format", "json", $"{TestEnv.Pool}/{image}");

    [Fact]
    public async Task Kill_9_during_an_export_leaves_no_point_and_the_next_run_cleans_up_and_continues()
    {
        var job = await _bed.AddJobAsync("K9", maxInc: 3);
        var img = "cbt-" + TestEnv.Unique();
        _bed.Images.Add(img);
        const long size = 1L << 30;
        await TestRbd.CreateWithDataAsync(TestEnv.Pool, img, size, Enumerable.Range(0, 96).Select(i => ((long)i * (8 << 20), 4 << 20)).ToArray());
        await _bed.LinkAsync(job, "vmk", img);
        var cli = new CliRun(_bed.Root, _bed.Db.ConnectionString, _bed.Smtp.Port);
        var partial = PointFiles.Partial(Path.Combine(_bed.Root, "K9", "vmk", img, "000001", "000000"));

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "cephbackup.dll"), "exec", "--config", cli.ConfigPath }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var sw = Stopwatch.StartNew();
        while (!File.Exists(partial) && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(2);
        p.Kill(entireProcessTree: false); // SIGKILL of cephbackup only, as the OOM killer would do
        await p.WaitForExitAsync();
        Assert.True(File.Exists(partial), "the export was not caught in the middle: " + await p.StandardError.ReadToEndAsync());

        Assert.False(File.Exists(Path.Combine(_bed.Root, "K9", "vmk", img, "000001", "000000")));
        Assert.Empty(await Points(img));
        Assert.Contains("BK-000001-000000", await Snaps(img)); // the orphan snapshot of the killed run

        await _bed.WaitForLeasesToExpireAsync(); // the killed run's job lease (6 s in CliRun's config)
        var rerun = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, rerun.ExitCode);
        var pts = await Points(img);
        Assert.Equal("000001-000000", Assert.Single(pts).RestorePoint);
        Assert.False(File.Exists(partial));
        Assert.Contains("leftover snapshot", _bed.LogText.ToString());
    }

    [Fact]
    public async Task A_full_target_filesystem_fails_that_image_removes_the_partial_and_still_tries_the_others()
    {
        var mnt = Directory.CreateDirectory(Path.Combine(_bed.Root, "small")).FullName;
        await Sh("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt);
        try
        {
            var job = await _bed.AddJobAsync("FULLFS", maxInc: 3, path: mnt);
            var big = "cbt-" + TestEnv.Unique();
            _bed.Images.Add(big);
            await TestRbd.CreateWithDataAsync(TestEnv.Pool, big, 64L << 20, (0, 4 << 20), (8L << 20, 4 << 20), (16L << 20, 4 << 20));
            await _bed.LinkAsync(job, "vm1", big);
            var small = await _bed.AddImageAsync(job, "vm2", size: 16L << 20);

            // One export at a time: two concurrent exports into 6 MiB would both run out of space, which says
            // nothing about whether a failed image stops the others.
            var outcome = await _bed.ExecAsync(parallelism: 1);
            Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
            var failed = outcome.Jobs[0].Images.Single(i => i.Image == big);
            Assert.Contains("No space left", failed.Detail);
            Assert.Empty(await Points(big));
            Assert.Single(await Points(small));
            Assert.Empty(Directory.EnumerateFiles(mnt, "*.partial", SearchOption.AllDirectories));
            Assert.DoesNotContain("BK-", await Snaps(big));
            var mail = (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message;
            Assert.StartsWith("[FAIL] CEPH Backup FULLFS (2 objects)", mail.Subject);
        }
        finally { await Sh("umount", mnt); }
    }

    [Fact]
    public async Task A_deleted_base_file_starts_a_new_chain()
    {
        var job = await _bed.AddJobAsync("DELF", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmd");
        await _bed.ExecAsync();
        File.Delete((await Points(img))[0].FilePath);
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        var pts = await Points(img);
        Assert.Equal("000002-000000", pts[^1].RestorePoint);
        Assert.Contains(pts[^1].RestorePoint, (await _bed.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10)))[1].Message.TextBody);
    }

    [Fact]
    public async Task A_dead_ceph_cluster_fails_each_image_within_the_timeout_and_mails_fail()
    {
        var job = await _bed.AddJobAsync("DEAD", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmx");
        var deadConf = Path.Combine(_bed.Root, "dead.conf");
        var conf = await File.ReadAllTextAsync(TestEnv.CephConf);
        await File.WriteAllTextAsync(deadConf, System.Text.RegularExpressions.Regex.Replace(conf, @"mon host = .*", "mon host = [v2:127.0.0.1:1,v1:127.0.0.1:2]"));
        var dead = _bed.Ceph with { ConfFile = deadConf, TimeoutSeconds = 3 };
        var service = BedApp.Create(_bed, ceph: dead).Backup();
        var sw = Stopwatch.StartNew();
        var outcome = await service.RunAsync(new ExecRequest(), CancellationToken.None);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Empty(await Points(img));
        Assert.StartsWith("[FAIL]", (await _bed.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)))[0].Message.Subject);
    }

    [Fact]
    public async Task Three_concurrent_runs_back_up_a_job_exactly_once()
    {
        var job = await _bed.AddJobAsync("CONC", maxInc: 3);
        var img = await _bed.AddImageAsync(job, "vmc", size: 64L << 20);
        var runs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => _bed.Service().RunAsync(new ExecRequest(), CancellationToken.None)));
        var outcomes = await Task.WhenAll(runs);
        Assert.Single(outcomes, o => o.ExitCode == ExitCode.Ok);
        Assert.Equal(2, outcomes.Count(o => o.ExitCode == ExitCode.AlreadyRunning));
        Assert.Single(await Points(img));
    }

    [Theory]
    [InlineData("a;rm -rf x")] [InlineData("$(touch pwned)")] [InlineData("../../escape")] [InlineData("/etc/passwd")]
    [InlineData("with space")] [InlineData("q'uote")] [InlineData("new\nline")]
    public async Task Hostile_vm_or_image_names_are_rejected_per_image_and_never_touch_anything_outside(string hostile)
    {
        var job = await _bed.AddJobAsync("HOST", maxInc: 3);
        var ok = await _bed.AddImageAsync(job, "vmok");
        await using (var c = new MySqlConnector.MySqlConnection(_bed.Db.ConnectionString))
        {
            await c.OpenAsync();
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO vms (idvms, vm, image) VALUES (900, @h, 'img'), (901, 'vmh', @h)", new { h = hostile });
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO backup_vms (idbackup_jobs, idvms, id) VALUES (@job, 900, 900), (@job, 901, 901)", new { job });
        }
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.PartialFailure, outcome.ExitCode);
        Assert.Equal(2, outcome.Jobs[0].Images.Count(i => i.Result == Core.Reporting.ImageResult.Failed && i.Detail!.Contains("invalid")));
        Assert.Single(await Points(ok));
        Assert.False(File.Exists("pwned"));
        var jobDir = Path.Combine(_bed.Root, "HOST");
        Assert.Equal([jobDir], Directory.EnumerateFileSystemEntries(_bed.Root));
        Assert.Equal(["lastbk.txt", "vmok"], Directory.EnumerateFileSystemEntries(jobDir).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("max_inc = -1", "max_inc")]
    [InlineData("path = 'relative/dir'", "absolute")]
    [InlineData("path = NULL", "absolute")]
    [InlineData("name = '../evil'", "invalid job name")]
    [InlineData("mode = 'weekly'", "mode")]
    [InlineData("`snap-prefix` = 'a b'", "snap-prefix")]
    public async Task A_bad_job_row_is_a_configuration_error_for_that_job_only(string set, string message)
    {
        var bad = await _bed.AddJobAsync("BAD", maxInc: 3);
        var good = await _bed.AddJobAsync("GOOD", maxInc: 3);
        var badImg = await _bed.AddImageAsync(bad, "vmb");
        var goodImg = await _bed.AddImageAsync(good, "vmg");
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET {set} WHERE idbackup_jobs = {bad}");
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.ConfigError, outcome.ExitCode);
        Assert.Contains(message, outcome.Jobs.Single(j => j.Result == Core.Reporting.JobResult.ConfigError).Message);
        Assert.Empty(await Points(badImg));
        Assert.Single(await Points(goodImg));
    }

    [Fact]
    public async Task Two_jobs_with_the_same_prefix_on_one_image_are_refused()
    {
        var a = await _bed.AddJobAsync("PA", maxInc: 3, prefix: "SAME");
        var b = await _bed.AddJobAsync("PB", maxInc: 3, prefix: "SAME");
        var img = await _bed.AddImageAsync(a, "vmp");
        await _bed.LinkAsync(b, "vmp", img);
        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.ConfigError, outcome.ExitCode);
        Assert.All(outcome.Jobs, j => Assert.Contains("collide", j.Message));
        Assert.Empty(await Points(img));
    }

    private static async Task Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err}");
    }
}
