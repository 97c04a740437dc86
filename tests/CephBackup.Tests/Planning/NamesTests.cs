using CephBackup.Core;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

public class NamesTests
{
    [Theory]
    [InlineData("vm-100-disk-0")] [InlineData("volume-3f2a_disk")] [InlineData("a")] [InlineData("web01.example")]
    public void Ordinary_names_are_valid(string s) => Assert.True(Names.IsValid(s));

    [Theory]
    [InlineData("")] [InlineData(".")] [InlineData("..")] [InlineData("../etc")] [InlineData("/abs")] [InlineData("a b")]
    [InlineData("a;rm -rf /")] [InlineData("$(reboot)")] [InlineData("x\ny")] [InlineData("q'uote")] [InlineData("-rf")]
    [InlineData(".hidden")] [InlineData("a/b")] [InlineData("img@snap")]
    public void Hostile_names_are_rejected(string s) => Assert.False(Names.IsValid(s));

    [Fact]
    public void Overlong_names_are_rejected() => Assert.False(Names.IsValid(new string('a', 129)));

    [Fact]
    public void Image_ref_takes_the_default_pool_or_an_explicit_one()
    {
        Assert.Equal(new ImageRef("rbd", "img"), ImageRef.Parse("img", "rbd"));
        Assert.Equal(new ImageRef("ssd", "img"), ImageRef.Parse("ssd/img", "rbd"));
        Assert.Throws<CephBackupException>(() => ImageRef.Parse("a/b/c", "rbd"));
        Assert.Throws<CephBackupException>(() => ImageRef.Parse("../x", "rbd"));
    }

    [Fact]
    public void Snapshot_names_match_the_php_tool_and_only_this_prefix_parses()
    {
        Assert.Equal("BK01-000001-000003", SnapshotNames.Of("BK01", 1, 3));
        Assert.True(SnapshotNames.TryParse("BK", "BK-000002-000010", out var c, out var p));
        Assert.Equal((2, 10), (c, p));
        Assert.False(SnapshotNames.TryParse("BK", "BK01-000002-000010", out _, out _)); // job "BK" must not claim job "BK01"'s
        Assert.False(SnapshotNames.TryParse("BK", "BK-000002-000010-x", out _, out _));
        Assert.False(SnapshotNames.TryParse("BK", "user-snap", out _, out _));
    }

    [Fact]
    public void A_job_without_prefix_gets_a_stable_default() =>
        Assert.Equal("cbk7", SnapshotNames.EffectivePrefix(new BackupJob { Id = 7, SnapPrefix = null }));

    [Theory]
    [InlineData("000001-000003", 1, 3)] [InlineData("123456-000000", 123456, 0)]
    public void Restore_points_parse(string s, int chain, int point) =>
        Assert.Equal(new RestorePoint(chain, point), RestorePoint.Parse(s));

    [Theory]
    [InlineData("1-3")] [InlineData("000000-000001")] [InlineData("000001_000003")] [InlineData("000001-000003 ")] [InlineData("")] [InlineData(null)]
    public void Bad_restore_points_are_a_clear_error(string? s)
    {
        var e = Assert.Throws<CephBackupException>(() => RestorePoint.Parse(s));
        Assert.Equal(ExitCode.InvalidInput, e.Code);
    }

    [Fact]
    public void Restore_point_parser_survives_random_input()
    {
        var rnd = new Random(42);
        for (var i = 0; i < 5000; i++)
        {
            var s = new string(Enumerable.Range(0, rnd.Next(0, 20)).Select(_ => (char)rnd.Next(0, 128)).ToArray());
            if (!RestorePoint.TryParse(s, out _)) Assert.Throws<CephBackupException>(() => RestorePoint.Parse(s));
        }
    }
}
