using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Jobs;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Retention;

namespace CephBackup.IntegrationTests.TrimSnap;

public class TrimSnapTests : BedTest
{
    private async Task<(TrimSnapOutcome Outcome, string Output)> TrimAsync(bool dryRun = false)
    {
        var svc = new TrimSnapService(_bed.Catalog, new LeaseJobLockProvider(_bed.Db.ConnectionString), _bed.Rbd, _bed.Ceph,
            TimeProvider.System, new HostIdentity("testhost", Environment.ProcessId), _bed.Log);
        var output = new StringWriter();
        var outcome = await svc.RunAsync(new TrimSnapRequest { DryRun = dryRun }, output, CancellationToken.None);
        return (outcome, output.ToString());
    }

    private async Task ExecTimesAsync(string image, int runs)
    {
        for (var i = 0; i < runs; i++)
        {
            if (i > 0) await BackupBed.ChangeAsync(image);
            Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        }
    }

    [Fact]
    public async Task Incremental_job_keeps_max_snaps_and_its_base_and_never_touches_others_or_protected_ones()
    {
        var bk = await _bed.AddJobAsync("JB", maxInc: 10, prefix: "BK", maxSnaps: 2);
        var bk01 = await _bed.AddJobAsync("JB01", maxInc: 10, prefix: "BK01", maxSnaps: 5);
        var img = await _bed.AddImageAsync(bk, "t01");
        await _bed.LinkAsync(bk01, "t01", img);
        await ExecTimesAsync(img, 4);
        var spec = $"{TestEnv.Pool}/{img}";
        await TestRbd.RunAsync("snap", "create", "--no-progress", $"{spec}@mine");
        await TestRbd.RunAsync("snap", "create", "--no-progress", $"{spec}@BK-000001-000009");
        await TestRbd.RunAsync("snap", "protect", $"{spec}@BK-000001-000000");
        try
        {
            var before = await ByHand.SnapshotsAsync(img);
            var (dry, plan) = await TrimAsync(dryRun: true);
            Assert.Equal(ExitCode.Ok, dry.ExitCode);
            Assert.Contains("would delete BK-000001-000009 (no restore point recorded (left by a failed run))", plan);
            Assert.Contains("would delete BK-000001-000001 (older than the newest 2 (max-snaps))", plan);
            Assert.Equal(before, await ByHand.SnapshotsAsync(img));

            var (outcome, output) = await TrimAsync();
            Assert.Equal(ExitCode.Ok, outcome.ExitCode);
            Assert.Contains($"JB t01/{img}: 2 deleted, 3 kept, 1 protected, 0 failed", output);
            Assert.Contains("keep BK-000001-000000 (protected", output);
            Assert.Contains($"JB01 t01/{img}: 0 deleted, 4 kept, 0 protected, 0 failed", output);
            Assert.Equal(
                ["BK-000001-000000", "BK-000001-000002", "BK-000001-000003", "BK01-000001-000000", "BK01-000001-000001",
                 "BK01-000001-000002", "BK01-000001-000003", "mine"],
                (await ByHand.SnapshotsAsync(img)).Order(StringComparer.Ordinal));

            await ExecTimesAsync(img, 1);
            var newest = (await ByHand.PointsAsync(_bed, img)).Where(p => p.JobId == bk).MaxBy(p => p.Point)!;
            Assert.Equal(("000001-000004", PointType.Incremental, (int?)3), (newest.RestorePoint, newest.Type, newest.BasePoint));
        }
        finally
        {
            await TestRbd.RunAsync("snap", "unprotect", $"{spec}@BK-000001-000000");
        }
    }

    [Fact]
    public async Task Differential_job_keeps_the_full_of_its_chain_and_a_running_job_is_not_trimmed()
    {
        var jd = await _bed.AddJobAsync("JD", maxInc: 10, mode: "differential", prefix: "DF", maxSnaps: 2);
        var img = await _bed.AddImageAsync(jd, "d01");
        await ExecTimesAsync(img, 4);

        await using (var held = await new LeaseJobLockProvider(_bed.Db.ConnectionString)
                         .TryAcquireAsync(jd, "otherhost", 4242, DateTime.UtcNow, CancellationToken.None))
        {
            Assert.NotNull(held);
            var (busy, busyOut) = await TrimAsync();
            Assert.Equal(ExitCode.AlreadyRunning, busy.ExitCode);
            Assert.Contains("JD: skipped, the job is running", busyOut);
            Assert.Equal(4, (await ByHand.SnapshotsAsync(img)).Count);
        }

        var (outcome, output) = await TrimAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Contains($"JD d01/{img}: 1 deleted, 3 kept, 0 protected, 0 failed", output);
        Assert.Equal(["DF-000001-000000", "DF-000001-000002", "DF-000001-000003"], await ByHand.SnapshotsAsync(img));

        await ExecTimesAsync(img, 1);
        var newest = (await ByHand.PointsAsync(_bed, img)).MaxBy(p => p.Point)!;
        Assert.Equal(("000001-000004", PointType.Differential, (int?)0), (newest.RestorePoint, newest.Type, newest.BasePoint));
    }
}
