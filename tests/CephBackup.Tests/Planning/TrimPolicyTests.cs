using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class TrimPolicyTests
{
    private static SnapInfo S(string name, bool prot = false) => new(name, prot);

    private static (int, int)[] Rec(params string[] rps) =>
        rps.Select(r => RestorePoint.TryParse(r, out var rp) ? (rp.Chain, rp.Point) : throw new ArgumentException(r)).ToArray();

    private static string Deleted(TrimPlan p) => string.Join(" ", p.ToDelete.Select(d => d.Name));

    [Fact]
    public void Keeps_the_newest_max_snaps_and_deletes_older_ones_oldest_first()
    {
        var snaps = new[] { S("BK-000001-000000"), S("BK-000001-000001"), S("BK-000001-000002"), S("BK-000002-000000"), S("BK-000002-000001") };
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001", "000001-000002", "000002-000000", "000002-000001"), BackupMode.Incremental, 2);
        Assert.Equal("BK-000001-000000 BK-000001-000001 BK-000001-000002", Deleted(p));
        Assert.Empty(p.Warnings);
        Assert.Contains("next incremental", p.Decisions.Single(d => d.Name == "BK-000002-000001").Reason);
    }

    [Fact]
    public void Other_jobs_and_user_snapshots_are_never_candidates()
    {
        var snaps = new[] { S("BK01-000001-000000"), S("BK-000001-000000"), S("mine"), S("BK-000001-000001-x"), S("BK-1-2"), S("BK-000001-000001") };
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001"), BackupMode.Incremental, 1);
        Assert.Equal("BK-000001-000000", Deleted(p));
        Assert.All(p.Decisions.Where(d => !d.Name.StartsWith("BK-00", StringComparison.Ordinal) || d.Name.EndsWith("-x", StringComparison.Ordinal)),
            d => Assert.False(d.Own));
        // Job BK01's view: only its own one is a candidate, and it is its newest.
        Assert.Equal("", Deleted(TrimPolicy.Plan(snaps, "BK01", Rec("000001-000000"), BackupMode.Incremental, 1)));
    }

    [Fact]
    public void Protected_snapshots_are_kept_and_flagged()
    {
        var snaps = new[] { S("BK-000001-000000", prot: true), S("BK-000001-000001"), S("BK-000001-000002"), S("BK-000001-000003") };
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001", "000001-000002", "000001-000003"), BackupMode.Incremental, 1);
        Assert.Equal("BK-000001-000001 BK-000001-000002", Deleted(p));
        Assert.True(p.Decisions.Single(d => d.Name == "BK-000001-000000").Protected);
    }

    [Fact]
    public void The_base_of_the_next_incremental_stays_even_when_newer_ones_exist()
    {
        // The newest snapshot has no point (its run failed): it goes; the newest recorded one stays.
        var snaps = new[] { S("BK-000001-000000"), S("BK-000001-000001"), S("BK-000001-000002") };
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001"), BackupMode.Incremental, 1);
        Assert.Equal("BK-000001-000002 BK-000001-000000", Deleted(p));
        Assert.Equal(SnapAction.Keep, p.Decisions.Single(d => d.Name == "BK-000001-000001").Action);
    }

    [Fact]
    public void Differential_keeps_the_full_of_the_current_chain_whatever_max_snaps_says()
    {
        var snaps = new[] { S("DF-000001-000000"), S("DF-000002-000000"), S("DF-000002-000001"), S("DF-000002-000002"), S("DF-000002-000003") };
        var rec = Rec("000001-000000", "000002-000000", "000002-000001", "000002-000002", "000002-000003");
        var p = TrimPolicy.Plan(snaps, "DF", rec, BackupMode.Differential, 1);
        Assert.Equal("DF-000001-000000 DF-000002-000001 DF-000002-000002", Deleted(p));
        Assert.Contains("next differential", p.Decisions.Single(d => d.Name == "DF-000002-000000").Reason);
        // An incremental job with the same history may drop the full.
        Assert.Contains("DF-000002-000000", Deleted(TrimPolicy.Plan(snaps, "DF", rec, BackupMode.Incremental, 1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Max_snaps_below_one_is_one_with_a_warning(int? maxSnaps)
    {
        var snaps = new[] { S("BK-000001-000000"), S("BK-000001-000001") };
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001"), BackupMode.Incremental, maxSnaps);
        Assert.Equal("BK-000001-000000", Deleted(p));
        Assert.Contains("keeping 1", Assert.Single(p.Warnings));
    }

    [Fact]
    public void Snapshots_of_failed_runs_go_first_and_do_not_count_toward_max_snaps()
    {
        var snaps = new[] { S("BK-000001-000000"), S("BK-000001-000001"), S("BK-000002-000000"), S("BK-000002-000001"), S("BK-000002-000002") };
        // 000002-000000 and -000002 have no point; 000001-* and 000002-000001 do.
        var p = TrimPolicy.Plan(snaps, "BK", Rec("000001-000000", "000001-000001", "000002-000001"), BackupMode.Incremental, 2);
        Assert.Equal("BK-000002-000000 BK-000002-000002 BK-000001-000000", Deleted(p));
        Assert.Equal(["BK-000001-000001", "BK-000002-000001"], p.Decisions.Where(d => d.Action == SnapAction.Keep).Select(d => d.Name));
    }

    [Fact]
    public void No_recorded_point_means_every_own_snapshot_is_from_a_failed_run()
    {
        var p = TrimPolicy.Plan([S("BK-000001-000000"), S("user")], "BK", [], BackupMode.Incremental, 5);
        Assert.Equal("BK-000001-000000", Deleted(p));
    }
}
