using CephBackup.Core;
using CephBackup.IntegrationTests.Infrastructure;
using CephBackup.IntegrationTests.Retention;

namespace CephBackup.IntegrationTests.Exec;

/// <summary>
/// exec plans an image's point without listing its snapshots (docs/EXEC.md). These are the two cases where the
/// plan turns out wrong, on real Ceph: the snapshot name is taken, the base snapshot is gone.
/// </summary>
public class PlanAheadTests : BedTest
{
    private static async Task<string> Snaps(string image) => string.Join(",", await ByHand.SnapshotsAsync(image));

    private static Task<string> HeadSha(string image) => TestRbd.Sha256Async($"{TestEnv.Pool}/{image}");

    [Fact]
    public async Task A_disk_that_lost_its_base_snapshot_starts_a_new_chain_from_the_snapshot_taken_with_its_vm_and_both_disks_restore_bit_exact()
    {
        var job = await _bed.AddJobAsync("PA", maxInc: 5);
        var a = await _bed.AddImageAsync(job, "pa01");
        var b = await _bed.AddImageAsync(job, "pa01");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        await TestRbd.RunAsync("snap", "rm", "--no-progress", $"{TestEnv.Pool}/{b}@BK-000001-000000");
        await BackupBed.ChangeAsync(a);
        await BackupBed.ChangeAsync(b);

        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var lines = outcome.Jobs[0].Images.ToDictionary(i => i.Image);
        Assert.Equal("000001-000001", lines[a].RestorePoint);
        Assert.Equal("000002-000000", lines[b].RestorePoint);
        Assert.Contains("base snapshot BK-000001-000000 is missing on Ceph", lines[b].Detail);
        // The snapshots taken on the first plan were removed: nothing stray is left on either disk.
        Assert.Equal("BK-000001-000000,BK-000001-000001", await Snaps(a));
        Assert.Equal("BK-000002-000000", await Snaps(b));
        Assert.Contains("its snapshot \"BK-000001-000001\" renamed to \"BK-000002-000000\"", _bed.LogText.ToString());
        var pa = await PointsAsync(a);
        Assert.Equal(await HeadSha(a), await _bed.RestoreByHandAsync(pa));
        Assert.Equal(await HeadSha(b), await _bed.RestoreByHandAsync([(await PointsAsync(b))[^1]]));
    }

    [Fact]
    public async Task An_interrupted_runs_snapshot_at_the_planned_name_is_removed_and_the_point_holds_the_data_of_now()
    {
        var job = await _bed.AddJobAsync("PL", maxInc: 5);
        var img = await _bed.AddImageAsync(job, "pl01");
        Assert.Equal(ExitCode.Ok, (await _bed.ExecAsync()).ExitCode);
        await BackupBed.ChangeAsync(img);
        // A run that died after its snapshot and before its export wrote no file.
        await TestRbd.RunAsync("snap", "create", "--no-progress", $"{TestEnv.Pool}/{img}@BK-000001-000001");
        await BackupBed.ChangeAsync(img);

        var outcome = await _bed.ExecAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal("000001-000001", outcome.Jobs[0].Images[0].RestorePoint);
        Assert.Contains("Removing leftover snapshot \"BK-000001-000001\"", _bed.LogText.ToString());
        Assert.Equal("BK-000001-000000,BK-000001-000001", await Snaps(img));
        Assert.Equal(await HeadSha(img), await _bed.RestoreByHandAsync(await PointsAsync(img)));
    }
}
