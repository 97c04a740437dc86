using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Jobs;

/// <summary>Points planned ahead of the snapshot list (ImageBackup.PrepareAsync), and what corrects a wrong plan.</summary>
public sealed partial class BackupServiceTests
{
    [Fact]
    public async Task An_images_point_is_made_without_listing_its_snapshots()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        Assert.Equal(ExitCode.Ok, (await RunAsync()).ExitCode);
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal("000001-000001", outcome.Jobs[0].Images[0].RestorePoint);
        Assert.Equal(["snap img", "export img", "exported img", "snap img", "export img", "exported img"], _rbd.Calls);
    }

    [Fact]
    public async Task A_base_snapshot_that_had_gone_makes_a_new_chain_from_the_snapshot_taken_with_the_vms_other_disks()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "a-disk");
        _catalog.Link(job, "vm1", "b-disk");
        Assert.Equal(ExitCode.Ok, (await RunAsync()).ExitCode);
        await _rbd.SnapRemoveAsync(ImageRef.Parse("b-disk", "rbd"), "BK-000001-000000", CancellationToken.None);
        _rbd.Calls.Clear();

        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        var (a, b) = (outcome.Jobs[0].Images[0], outcome.Jobs[0].Images[1]);
        Assert.Equal(("000001-000001", "000002-000000"), (a.RestorePoint, b.RestorePoint));
        Assert.Equal("BK-000002-000000", b.Snapshot);
        Assert.Contains("base snapshot BK-000001-000000 is missing on Ceph", b.Detail);
        Assert.Equal(["BK-000001-000000", "BK-000001-000001"], _rbd.SnapshotsOf("a-disk"));
        Assert.Equal(["BK-000002-000000"], _rbd.SnapshotsOf("b-disk"));
        var calls = _rbd.Calls.ToList();
        // One snapshot per disk, taken back to back: b's is renamed, not taken again later.
        Assert.Equal(1, calls.Count(c => c == "snap a-disk"));
        Assert.Equal(1, calls.Count(c => c == "snap b-disk"));
        Assert.Contains("snaprename b-disk BK-000001-000001 BK-000002-000000", calls);
        Assert.Equal(4, _catalog.Points.Count);
    }

    [Fact]
    public async Task An_interrupted_runs_snapshot_at_the_planned_name_is_removed_and_the_point_is_made()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        Assert.Equal(ExitCode.Ok, (await RunAsync()).ExitCode);
        _rbd.AddSnapshot("img", "BK-000001-000001"); // its run died before the export began: no files
        var outcome = await RunAsync();
        Assert.Equal(ExitCode.Ok, outcome.ExitCode);
        Assert.Equal("000001-000001", outcome.Jobs[0].Images[0].RestorePoint);
        Assert.Contains("snaprm img BK-000001-000001", _rbd.Calls);
        Assert.Equal(["BK-000001-000000", "BK-000001-000001"], _rbd.SnapshotsOf("img"));
        Assert.Equal(2, _catalog.Points.Count);
    }

    [Fact]
    public async Task An_export_that_finds_no_snapshot_while_the_base_is_there_fails_and_is_undone_without_a_new_plan()
    {
        var job = Job();
        _catalog.Link(job, "vm1", "img");
        Assert.Equal(ExitCode.Ok, (await RunAsync()).ExitCode);
        // The new snapshot vanishes under the export (an admin's `rbd snap purge`): exit 2, yet the base is there.
        _rbd.DuringExport = name => _rbd.SnapRemoveAsync(ImageRef.Parse(name, "rbd"), "BK-000001-000001", CancellationToken.None);
        var outcome = await RunAsync();
        var line = outcome.Jobs[0].Images[0];
        Assert.Equal(ImageResult.Failed, line.Result);
        Assert.Contains("(2) No such file or directory", line.Detail);
        Assert.DoesNotContain(_rbd.Calls, c => c.StartsWith("snaprename", StringComparison.Ordinal));
        Assert.Equal(["BK-000001-000000"], _rbd.SnapshotsOf("img"));
        Assert.Single(_catalog.Points);
    }
}
