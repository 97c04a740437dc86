using CephBackup.Core;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class RetentionPolicyTests
{
    private static ChainInfo Good(int chain, int points = 3, bool current = false) => new(chain, true, points, current);
    private static ChainInfo NoFull(int chain, int points = 0, bool current = false) => new(chain, false, points, current);

    private static string Plan(int? retention, params ChainInfo[] chains) =>
        string.Join(" ", RetentionPolicy.Apply(chains, retention).OrderBy(d => d.Chain).Select(d => $"{d.Chain}{(d.Action == ChainAction.Keep ? "K" : "D")}"));

    [Fact]
    public void Keeps_the_newest_n_chains_with_a_full_and_deletes_older_ones()
    {
        Assert.Equal("1D 2D 3D 4K 5K", Plan(2, Good(1), Good(2), Good(3), Good(4), Good(5, current: true)));
        var d = RetentionPolicy.Apply([Good(1), Good(2), Good(3, current: true)], 2).ToDictionary(x => x.Chain);
        Assert.Contains("older than the 2 newest", d[1].Reason);
        Assert.Contains("1 of 2", d[3].Reason);
        Assert.Contains("2 of 2", d[2].Reason);
    }

    [Fact]
    public void Failed_chains_do_not_count_and_newer_ones_are_never_deleted()
    {
        // 5 and 4 failed their full (newer than the newest good one), 3 failed between kept chains.
        Assert.Equal("1D 2K 3K 4K 5K 6K", Plan(2, Good(1), Good(2), NoFull(3, 1), Good(4), NoFull(5, 0, current: false), NoFull(6)));
        var d = RetentionPolicy.Apply([Good(1), Good(2), NoFull(3)], 1).ToDictionary(x => x.Chain);
        Assert.Equal(ChainAction.Keep, d[3].Action);
        Assert.Contains("newer than the newest chain with a successful full", d[3].Reason);
        Assert.Equal(ChainAction.Delete, d[1].Action);
    }

    [Fact]
    public void Nothing_goes_until_retention_good_chains_exist()
    {
        Assert.Equal("1K 2K 3K", Plan(3, NoFull(1), Good(2), Good(3, current: true)));
        Assert.Contains("only 2 of 3", RetentionPolicy.Apply([NoFull(1), Good(2), Good(3)], 3).Single(x => x.Chain == 1).Reason);
        Assert.Equal("1K 2K", Plan(5, NoFull(1), NoFull(2)));
        Assert.Empty(RetentionPolicy.Apply([], 2));
    }

    [Fact]
    public void The_current_chain_is_never_deleted_even_when_older_than_the_window()
    {
        // Odd but possible: the newest recorded chain is older than folders with fulls the catalog lost track of.
        var d = RetentionPolicy.Apply([Good(1, current: true), Good(2), Good(3)], 1).ToDictionary(x => x.Chain);
        Assert.Equal(ChainAction.Keep, d[1].Action);
        Assert.Contains("next backup continues", d[1].Reason);
        Assert.Equal(ChainAction.Delete, d[2].Action);
    }

    [Fact]
    public void Uncatalogued_and_failed_old_chains_are_deleted_with_their_own_reason()
    {
        var d = RetentionPolicy.Apply([NoFull(1), NoFull(2, points: 2), Good(3), Good(4)], 2).ToDictionary(x => x.Chain);
        Assert.Contains("not in the catalog", d[1].Reason);
        Assert.Contains("no successful full and older", d[2].Reason);
        Assert.All(new[] { d[1], d[2] }, x => Assert.Equal(ChainAction.Delete, x.Action));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-3)]
    public void Null_zero_or_negative_retention_is_a_configuration_error_not_delete_everything(int? retention)
    {
        var e = Assert.Throws<CephBackupException>(() => RetentionPolicy.Apply([Good(1), Good(2)], retention));
        Assert.Equal(ExitCode.ConfigError, e.Code);
        Assert.Contains("nothing deleted", e.Message);
    }

    [Fact]
    public void Order_of_the_input_does_not_matter_and_duplicates_are_rejected()
    {
        Assert.Equal(Plan(1, Good(3), Good(1), Good(2)), Plan(1, Good(1), Good(2), Good(3)));
        Assert.Throws<ArgumentException>(() => RetentionPolicy.Apply([Good(1), Good(1)], 1));
    }
}
