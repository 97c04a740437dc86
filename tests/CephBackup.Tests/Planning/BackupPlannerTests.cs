using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class BackupPlannerTests
{
    private static BackupPoint P(int chain, int point, PointType type = PointType.Incremental, int? basePoint = null) => new()
    {
        JobName = "j", Vm = "vm", Image = "img", Snapshot = $"BK-{chain:D6}-{point:D6}", FilePath = "/x",
        Chain = chain, Point = point, Type = point == 0 ? PointType.Full : type,
        BasePoint = point == 0 ? null : basePoint ?? (type == PointType.Differential ? 0 : point - 1),
    };

    [Fact]
    public void First_backup_is_a_full_in_chain_1()
    {
        var p = BackupPlanner.Decide([], 0, 5, BackupMode.Incremental);
        Assert.Equal((PointType.Full, 1, 0, true), (p.Type, p.Chain, p.Point, p.NewChain));
    }

    [Fact]
    public void Incremental_continues_from_the_last_point()
    {
        var p = BackupPlanner.Decide([P(3, 0), P(3, 1)], 3, 5, BackupMode.Incremental);
        Assert.Equal((PointType.Incremental, 3, 2, (int?)1), (p.Type, p.Chain, p.Point, p.BasePoint));
    }

    [Fact]
    public void Differential_always_starts_from_the_full()
    {
        var p = BackupPlanner.Decide([P(2, 0), P(2, 1, PointType.Differential)], 2, 5, BackupMode.Differential);
        Assert.Equal((PointType.Differential, 2, 2, (int?)0), (p.Type, p.Chain, p.Point, p.BasePoint));
    }

    [Fact]
    public void Rotation_after_max_inc_points_goes_to_a_new_chain_above_every_chain_seen()
    {
        var p = BackupPlanner.Decide([P(2, 0), P(2, 1), P(2, 2)], 4, 2, BackupMode.Incremental);
        Assert.Equal((PointType.Full, 5, 0, true), (p.Type, p.Chain, p.Point, p.NewChain));
        Assert.Contains("rotation", p.Reason);
    }

    [Fact]
    public void Max_inc_zero_makes_every_run_a_new_full()
    {
        var p = BackupPlanner.Decide([P(1, 0)], 1, 0, BackupMode.Incremental);
        Assert.Equal((PointType.Full, 2), (p.Type, p.Chain));
    }

    [Fact]
    public void A_broken_base_or_a_gap_starts_a_new_chain_and_says_why()
    {
        var broken = BackupPlanner.Decide([P(1, 0), P(1, 1)], 1, 5, BackupMode.Incremental, "base snapshot BK-000001-000001 is missing on Ceph");
        Assert.Equal((PointType.Full, 2), (broken.Type, broken.Chain));
        Assert.Contains("missing on Ceph", broken.Reason);
        var gap = BackupPlanner.Decide([P(1, 0), P(1, 2)], 1, 5, BackupMode.Incremental);
        Assert.Contains("missing point 000001", gap.Reason);
        var noFull = BackupPlanner.Decide([P(1, 1)], 1, 5, BackupMode.Incremental);
        Assert.Contains("no full", noFull.Reason);
    }

    [Fact]
    public void Negative_max_inc_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BackupPlanner.Decide([], 0, -1, BackupMode.Incremental));

    [Fact]
    public void Restore_sequence_follows_base_links()
    {
        var inc = new[] { P(1, 0), P(1, 1), P(1, 2), P(1, 3) };
        Assert.Equal([0, 1, 2, 3], BackupPlanner.RestoreSequence(inc, inc[3]).Select(p => p.Point));
        var diff = new[] { P(1, 0), P(1, 1, PointType.Differential), P(1, 2, PointType.Differential) };
        Assert.Equal([0, 2], BackupPlanner.RestoreSequence(diff, diff[2]).Select(p => p.Point));
        Assert.Equal([0], BackupPlanner.RestoreSequence(inc, inc[0]).Select(p => p.Point));
    }

    [Fact]
    public void Restore_sequence_with_a_missing_link_is_refused()
    {
        var pts = new[] { P(1, 0), P(1, 2) };
        var e = Assert.Throws<CephBackupException>(() => BackupPlanner.RestoreSequence(pts, pts[1]));
        Assert.Contains("000001-000001", e.Message);
    }
}
