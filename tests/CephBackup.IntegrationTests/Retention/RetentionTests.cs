using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.Core.Reporting;
using CephBackup.Core.Storage;
using CephBackup.IntegrationTests.Infrastructure;

namespace CephBackup.IntegrationTests.Retention;

public class RetentionTests : BedTest
{
    private RetentionService Service(bool skipCheck = false) =>
        new(_bed.Catalog, new SmtpMailSender(_bed.Mail), _bed.Log) { Deleter = new ChainDeleter(_bed.Catalog, _bed.Log) { SkipCheck = skipCheck } };

    private async Task<(RetentionOutcome Outcome, string Output)> RunAsync(bool dryRun = false, bool always = false, string? job = null)
    {
        var output = new StringWriter();
        var outcome = await Service().RunAsync(new RetentionRequest { DryRun = dryRun, AlwaysReport = always, JobName = job }, output, CancellationToken.None);
        return (outcome, output.ToString());
    }

    /// <summary>Runs exec <paramref name="runs"/> times, changing the image between runs; returns the sha of each new point's snapshot.</summary>
    private async Task<Dictionary<string, string>> ExecRunsAsync(string image, int runs)
    {
        var shas = new Dictionary<string, string>();
        for (var i = 0; i < runs; i++)
        {
            if (i > 0) await BackupBed.ChangeAsync(image);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
            var last = (await ByHand.PointsAsync(_bed, image)).OrderBy(p => p.EndedAt).Last();
            shas[last.RestorePoint] = await TestRbd.Sha256Async($"{TestEnv.Pool}/{image}@{last.Snapshot}");
        }
        return shas;
    }

    private string ChainDir(string job, string vm, string image, int chain) => Path.Combine(_bed.Root, job, vm, image, chain.ToString("D6"));

    [Fact]
    public async Task Five_chains_retention_two_keeps_the_two_newest_and_every_kept_point_restores()
    {
        var job = await _bed.AddJobAsync("JR", maxInc: 1, retention: 2);
        var img = await _bed.AddImageAsync(job, "r01");
        var shas = await ExecRunsAsync(img, 9);
        var mailsBefore = (await _bed.Smtp.WaitForMessagesAsync(9, TimeSpan.FromSeconds(10))).Count;

        var (dry, plan) = await RunAsync(dryRun: true);
        Assert.Equal(ExitCode.Ok, dry.ExitCode);
        Assert.Contains($"JR r01/{img} 000001: would delete (older than the 2 newest chains with a successful full)", plan);
        Assert.Contains($"JR r01/{img} 000005: kept (newest chains with a successful full: 1 of 2)", plan);
        Assert.Equal(9, (await ByHand.PointsAsync(_bed, img)).Count);
        Assert.True(Directory.Exists(ChainDir("JR", "r01", img, 1)));

        var (outcome, output) = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Contains("000003: deleted", output);
        var points = await ByHand.PointsAsync(_bed, img);
        Assert.Equal(["000004-000000", "000004-000001", "000005-000000"], points.Select(p => p.RestorePoint));
        Assert.All(points, p => Assert.Equal(PointStatus.Ok, p.Status));
        Assert.Equal([4, 5], BackupLayout.ChainsOnDisk(Path.Combine(_bed.Root, "JR", "r01", img)));
        foreach (var p in points)
            Assert.Equal(shas[p.RestorePoint], await ByHand.RestoreAsync(_bed, points, p));

        var mail = (await _bed.Smtp.WaitForMessagesAsync(mailsBefore + 1, TimeSpan.FromSeconds(10)))[^1].Message;
        Assert.Equal("CEPH Backup retention", mail.Subject);
        Assert.Contains("JR | r01 | " + img + " | 000001 | deleted | ", mail.TextBody);
        Assert.DoesNotContain("000004", mail.TextBody);
        Assert.True(outcome.Report.Rows.Where(r => r.Result == RetentionResult.Deleted).All(r => r.BytesFreed > 0));

        // Nothing left to do: no mail, unless asked for.
        Assert.Equal(ExitCode.Ok, (await RunAsync()).Outcome.ExitCode);
        await Task.Delay(300);
        Assert.Equal(mailsBefore + 1, _bed.Smtp.Messages.Count);
        await RunAsync(always: true);
        Assert.Contains("Nothing to delete", (await _bed.Smtp.WaitForMessagesAsync(mailsBefore + 2, TimeSpan.FromSeconds(10)))[^1].Message.TextBody);
    }

    [Fact]
    public async Task Immutable_chain_is_kept_listed_and_restorable_and_goes_once_unlocked()
    {
        await using var dir = await ChattrDir.CreateAsync(_bed.Root);
        var job = await _bed.AddJobAsync("JI", maxInc: 0, retention: 2, path: dir.Path);
        var img = await _bed.AddImageAsync(job, "i01");
        var shas = await ExecRunsAsync(img, 3);
        var chain1 = Path.Combine(dir.Path, "JI", "i01", img, "000001");
        foreach (var f in Directory.GetFiles(chain1)) await ChattrDir.SetImmutableAsync(f, true);

        var (outcome, output) = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Contains("000001: kept: immutable", output);
        var row = outcome.Report.Rows.Single(r => r.Chain == 1);
        Assert.Equal(RetentionResult.KeptImmutable, row.Result);
        var points = await ByHand.PointsAsync(_bed, img);
        var p1 = points.Single(p => p.Chain == 1);
        Assert.Equal(PointStatus.Ok, p1.Status);
        Assert.Equal(3, Directory.GetFiles(chain1).Length);
        Assert.Equal(shas["000001-000000"], await ByHand.RestoreAsync(_bed, points, p1));

        foreach (var f in Directory.GetFiles(chain1)) await ChattrDir.SetImmutableAsync(f, false);
        (outcome, output) = await RunAsync();
        Assert.Contains("000001: deleted", output);
        Assert.False(Directory.Exists(chain1));
        Assert.Equal(["000002-000000", "000003-000000"], (await ByHand.PointsAsync(_bed, img)).Select(p => p.RestorePoint));
    }

    [Fact]
    public async Task Lock_set_after_the_check_leaves_a_restorable_prefix_and_a_crash_is_finished_next_run()
    {
        await using var dir = await ChattrDir.CreateAsync(_bed.Root);
        var job = await _bed.AddJobAsync("JX", maxInc: 2, retention: 1, path: dir.Path);
        var img = await _bed.AddImageAsync(job, "x01");
        var shas = await ExecRunsAsync(img, 4);
        var chain1 = Path.Combine(dir.Path, "JX", "x01", img, "000001");
        await ChattrDir.SetImmutableAsync(Path.Combine(chain1, "000001"), true);

        var deleter = new ChainDeleter(_bed.Catalog, _bed.Log) { SkipCheck = true };
        var before = (await ByHand.PointsAsync(_bed, img)).Where(p => p.Chain == 1).ToList();
        var r = await deleter.DeleteAsync(chain1, before, finishing: false, CancellationToken.None);
        Assert.Equal(ChainDeletion.Failed, r.Result);
        Assert.Contains("2 point(s) remain", r.Detail);
        var left = (await ByHand.PointsAsync(_bed, img)).Where(p => p.Chain == 1).ToList();
        Assert.Equal(["000001-000000", "000001-000001"], left.Select(p => p.RestorePoint));
        Assert.All(left, p => Assert.Equal(PointStatus.Ok, p.Status));
        Assert.False(File.Exists(Path.Combine(chain1, "000002")));
        Assert.Equal(shas["000001-000001"], await ByHand.RestoreAsync(_bed, left, left[1]));

        // The next run checks first, so the still-locked rest is kept, not half-deleted further.
        var (outcome, _) = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal(RetentionResult.KeptImmutable, outcome.Report.Rows.Single(x => x.Chain == 1).Result);
        await ChattrDir.SetImmutableAsync(Path.Combine(chain1, "000001"), false);

        // A crash after the marking and the folder removal: the next run removes the rows.
        await _bed.Catalog.SetPointStatusAsync(left.Select(p => p.Id).ToList(), PointStatus.Deleting, CancellationToken.None);
        Directory.Delete(chain1, true);
        (outcome, var output) = await RunAsync();
        Assert.Contains("000001: deleted (finishing an interrupted deletion", output);
        Assert.Equal(["000002-000000"], (await ByHand.PointsAsync(_bed, img)).Select(p => p.RestorePoint));
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
    }

    [Fact]
    public async Task Null_or_zero_retention_is_an_error_for_that_job_only()
    {
        var jNull = await _bed.AddJobAsync("JN", maxInc: 0);
        var jZero = await _bed.AddJobAsync("JZ", maxInc: 0, retention: 0);
        var jOk = await _bed.AddJobAsync("JO", maxInc: 0, retention: 1);
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET retention = NULL WHERE idbackup_jobs = {jNull}");
        var imgs = new[] { await _bed.AddImageAsync(jNull, "n01"), await _bed.AddImageAsync(jZero, "z01"), await _bed.AddImageAsync(jOk, "o01") };
        for (var i = 0; i < 2; i++) Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        // Disabled jobs are included, as in the PHP tool.
        await _bed.Db.ExecAsync($"UPDATE backup_jobs SET enabled = 0 WHERE idbackup_jobs = {jOk}");

        var (outcome, output) = await RunAsync();
        Assert.Equal(ExitCode.ConfigError, outcome.ExitCode);
        Assert.Contains("JN -: FAIL: configuration (retention = NULL is not a number of chains to keep (>= 1); nothing deleted)", output);
        Assert.Contains("JZ -: FAIL: configuration (retention = 0", output);
        Assert.Equal(2, (await ByHand.PointsAsync(_bed, imgs[0])).Count);
        Assert.Equal(2, (await ByHand.PointsAsync(_bed, imgs[1])).Count);
        Assert.Equal([1, 2], BackupLayout.ChainsOnDisk(Path.Combine(_bed.Root, "JZ", "z01", imgs[1])));
        Assert.Equal(["000002-000000"], (await ByHand.PointsAsync(_bed, imgs[2])).Select(p => p.RestorePoint));

        var mail = (await _bed.Smtp.WaitForMessagesAsync(7, TimeSpan.FromSeconds(10)))[^1].Message;
        Assert.Equal("[FAIL] CEPH Backup retention", mail.Subject);
        await Assert.ThrowsAsync<CephBackupException>(() => RunAsync(job: "nosuchjob"));
    }
}
