using CephBackup.Core;
using CephBackup.Core.Ceph;
using CephBackup.Core.Catalog;
using CephBackup.Core.Planning;

namespace CephBackup.Tests.Planning;

/// <summary>
/// Issue #11.6: validators anchor with \z and accept ASCII digits only. Random strings from an alphabet of the
/// characters that bite (a final newline, non-ASCII digits, separators) must either be refused cleanly or
/// round-trip exactly: accepted input that means something else is the bug, not only a throw.
/// </summary>
public class ValidatorFuzzTests
{
    // ASCII digits, Arabic-Indic, Devanagari, fullwidth digits, newline, CR, separators and a few letters.
    private const string Alphabet = "0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९０１２３４５６７８９\n\r -_.+:@/aBZ\u00e9\u0000";

    private static IEnumerable<string> Samples(int seed, int count, Func<Random, string>? shape = null)
    {
        var rnd = new Random(seed);
        for (var i = 0; i < count; i++)
            yield return shape?.Invoke(rnd) ?? new string(Enumerable.Range(0, rnd.Next(0, 16)).Select(_ => Alphabet[rnd.Next(Alphabet.Length)]).ToArray());
    }

    /// <summary>Mostly well-formed CHAIN-POINT with one random character changed, added at the end, or not.</summary>
    private static string NearRestorePoint(Random rnd)
    {
        var s = $"{rnd.Next(0, 1000000):D6}-{rnd.Next(0, 1000000):D6}".ToCharArray().ToList();
        switch (rnd.Next(3))
        {
            case 0: s[rnd.Next(s.Count)] = Alphabet[rnd.Next(Alphabet.Length)]; break;
            case 1: s.Add(Alphabet[rnd.Next(Alphabet.Length)]); break;
        }
        return new string(s.ToArray());
    }

    [Theory]
    [InlineData("000001-000000\n")] [InlineData("000001-000000\r\n")] [InlineData("٠٠٠٠٠١-٠٠٠٠٠٠")] [InlineData("０００００１-００００００")]
    public void Restore_points_with_a_final_newline_or_non_ascii_digits_are_invalid_input_not_an_internal_error(string s)
    {
        Assert.False(RestorePoint.TryParse(s, out _));
        Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => RestorePoint.Parse(s)).Code);
    }

    [Fact]
    public void Every_accepted_restore_point_round_trips()
    {
        var accepted = 0;
        foreach (var s in Samples(1, 20000, NearRestorePoint).Concat(Samples(2, 20000)))
        {
            if (!RestorePoint.TryParse(s, out var rp))
            {
                Assert.Equal(ExitCode.InvalidInput, Assert.Throws<CephBackupException>(() => RestorePoint.Parse(s)).Code);
                continue;
            }
            accepted++;
            Assert.Equal(s, rp.ToString());
        }
        Assert.True(accepted > 1000, $"only {accepted} accepted: the generator does not reach the valid space");
    }

    [Theory]
    [InlineData("img\n")] [InlineData("img\r")] [InlineData("im\u0000g")] [InlineData("disk٣")]
    public void Names_with_a_final_newline_or_non_ascii_characters_are_invalid(string s) => Assert.False(Names.IsValid(s));

    [Fact]
    public void Every_accepted_name_is_plain_ascii_and_round_trips_through_image_ref()
    {
        var accepted = 0;
        foreach (var s in Samples(3, 30000))
        {
            if (!Names.IsValid(s)) continue;
            accepted++;
            Assert.All(s, c => Assert.True(c < 128 && (char.IsAsciiLetterOrDigit(c) || "._+:-".Contains(c)), $"'{s}' accepted"));
            Assert.Equal($"rbd/{s}", ImageRef.Parse(s, "rbd").ToString());
            Assert.Equal(new ImageRef("p", s), ImageRef.Parse("p/" + s, "rbd"));
        }
        Assert.True(accepted > 100, $"only {accepted} accepted");
    }

    [Fact]
    public void A_snapshot_name_parses_only_when_it_is_exactly_what_the_tool_would_name_it()
    {
        var accepted = 0;
        foreach (var tail in Samples(4, 20000, NearRestorePoint))
        {
            var name = "BK-" + tail;
            if (!SnapshotNames.TryParse("BK", name, out var c, out var p)) continue;
            accepted++;
            Assert.Equal(name, SnapshotNames.Of("BK", c, p));
        }
        Assert.True(accepted > 1000, $"only {accepted} accepted");
    }

    [Fact]
    public void A_user_snapshot_named_with_non_ascii_digits_is_kept_and_does_not_abort_the_trim_plan()
    {
        var snaps = new[]
        {
            new SnapInfo("BK-000001-000000", false), new SnapInfo("BK-٠٠٠٠٠١-٠٠٠٠٠١", false), new SnapInfo("BK-000001-000001\n", false),
            new SnapInfo("BK-000001-000002", false),
        };
        var plan = TrimPolicy.Plan(snaps, "BK", [(1, 0), (1, 1), (1, 2)], BackupMode.Incremental, maxSnaps: 1);
        Assert.Equal(["BK-000001-000000"], plan.ToDelete.Select(d => d.Name));
        Assert.All(plan.Decisions.Where(d => d.Name.Contains('٠') || d.Name.EndsWith('\n')), d => Assert.False(d.Own));
    }
}
