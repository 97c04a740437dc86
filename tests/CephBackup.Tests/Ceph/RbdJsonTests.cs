using CephBackup.Core;
using CephBackup.Core.Ceph;

namespace CephBackup.Tests.Ceph;

public class RbdJsonTests
{
    // Real output of rbd 16.2 (test-services.md §3).
    private const string SnapLs =
        """[{"id":5,"name":"s2","size":1073741824,"protected":"false","timestamp":"Thu Nov 26 03:05:37 2026"},{"id":4,"name":"s1","size":1073741824,"protected":"true","timestamp":"Thu Nov 26 03:05:36 2026"}]""";

    private const string Info = """
        {
            "name": "img1",
            "id": "1032520a8170",
            "size": 1073741824,
            "objects": 256,
            "order": 22,
            "object_size": 4194304,
            "snapshot_count": 2,
            "block_name_prefix": "rbd_data.1032520a8170",
            "format": 2,
            "features": ["layering","exclusive-lock","object-map","fast-diff","deep-flatten"],
            "op_features": [],
            "flags": [],
            "create_timestamp": "Thu Nov 26 03:05:33 2026",
            "access_timestamp": "Thu Nov 26 03:05:33 2026",
            "modify_timestamp": "Thu Nov 26 03:05:33 2026"
        }
        """;

    [Fact]
    public void Snapshots_are_sorted_by_id_with_string_protected_and_utc_timestamps()
    {
        var snaps = RbdJson.ParseSnapshots(SnapLs);

        Assert.Equal(["s1", "s2"], snaps.Select(s => s.Name));
        Assert.Equal(new RbdSnapshot(4, "s1", 1073741824, true, new DateTimeOffset(2026, 11, 26, 3, 5, 36, TimeSpan.Zero)), snaps[0]);
        Assert.False(snaps[1].Protected);
        Assert.Equal(TimeSpan.Zero, snaps[1].Timestamp!.Value.Offset);
    }

    [Fact]
    public void Empty_snapshot_list() => Assert.Empty(RbdJson.ParseSnapshots("[]"));

    [Fact]
    public void Info_of_real_sample()
    {
        var info = RbdJson.ParseInfo(Info);

        Assert.Equal("img1", info.Name);
        Assert.Equal(1073741824, info.SizeBytes);
        Assert.Equal(2, info.SnapshotCount);
        Assert.Equal(["layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"], info.Features);
    }

    [Fact]
    public void Image_list() => Assert.Equal(["img1", "plain1"], RbdJson.ParseImageList("""["img1","plain1"]"""));

    [Theory]
    [InlineData("Thu Nov  5 03:05:36 2026", 2026, 11, 5, 3, 5, 36)]
    [InlineData("Thu Nov 5 03:05:36 2026", 2026, 11, 5, 3, 5, 36)]
    [InlineData("Sat Feb 29 23:59:59 2028", 2028, 2, 29, 23, 59, 59)]
    [InlineData("Mon Jan  1 00:00:00 2024", 2024, 1, 1, 0, 0, 0)]
    // A weekday that does not match the date must not lose an otherwise exact time.
    [InlineData("Fri Nov 26 03:05:36 2026", 2026, 11, 26, 3, 5, 36)]
    public void Ctime_timestamps_including_space_padded_days(string text, int y, int mo, int d, int h, int mi, int s) =>
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero), RbdJson.ParseTimestamp(text));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("yesterday")]
    [InlineData("Thu Nov 31 03:05:36 2026")]
    [InlineData("Thu Nov 26 25:05:36 2026")]
    [InlineData("2026-11-26T03:05:36Z")]
    [InlineData("Thu Nov 26 03:05:36 2026 extra")]
    public void Unreadable_timestamp_is_null(string text) => Assert.Null(RbdJson.ParseTimestamp(text));

    [Fact]
    public void Unreadable_timestamp_in_listing_does_not_fail_it()
    {
        var snaps = RbdJson.ParseSnapshots("""[{"id":1,"name":"a","size":1,"protected":"false","timestamp":"??"}]""");
        Assert.Null(Assert.Single(snaps).Timestamp);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("""[{"id":"4","name":"s1","size":1,"protected":"false"}]""")]
    [InlineData("""[{"id":4,"name":null,"size":1,"protected":"false"}]""")]
    [InlineData("""[{"id":4,"name":"s1","size":1,"protected":"maybe"}]""")]
    [InlineData("""[{"id":4.5,"name":"s1","size":1,"protected":"false"}]""")]
    [InlineData("""[{"id":99999999999999999999,"name":"s1","size":1,"protected":"false"}]""")]
    public void Malformed_snapshot_list_is_a_ceph_error(string json)
    {
        var e = Assert.Throws<CephBackupException>(() => RbdJson.ParseSnapshots(json));
        Assert.Equal(ExitCode.CephError, e.Code);
        Assert.StartsWith("unexpected rbd output: snap ls", e.Message);
    }

    [Theory]
    [InlineData("""{"name":"a","size":1,"snapshot_count":99999999999,"features":[]}""")]
    [InlineData("""{"name":"a","size":1,"snapshot_count":0,"features":[1]}""")]
    [InlineData("""{"name":"a","size":1,"snapshot_count":0}""")]
    [InlineData("""["a"]""")]
    public void Malformed_info_is_a_ceph_error(string json) =>
        Assert.Equal(ExitCode.CephError, Assert.Throws<CephBackupException>(() => RbdJson.ParseInfo(json)).Code);

    [Theory]
    [InlineData("""{"a":1}""")]
    [InlineData("""["a",2]""")]
    [InlineData("""["a" """)]
    public void Malformed_image_list_is_a_ceph_error(string json) =>
        Assert.Equal(ExitCode.CephError, Assert.Throws<CephBackupException>(() => RbdJson.ParseImageList(json)).Code);

    [Fact]
    public void Fuzz_truncated_mutated_and_random_input_only_ever_throws_CephBackupException()
    {
        var rng = new Random(12345);
        string[] samples = [SnapLs, Info, """["img1","plain1"]"""];
        const string alphabet = "{}[]\",:0123456789-.eE truefalsnul\\abc\u00e9\n";
        Func<string, object>[] parsers = [s => RbdJson.ParseSnapshots(s), s => RbdJson.ParseInfo(s), s => RbdJson.ParseImageList(s)];
        var parsedOk = 0;

        for (var i = 0; i < 4000; i++)
        {
            var sample = samples[rng.Next(samples.Length)];
            var input = (i % 3) switch
            {
                0 => sample[..rng.Next(sample.Length)],
                1 => Mutate(sample, rng, alphabet),
                _ => new string(Enumerable.Range(0, rng.Next(60)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray()),
            };
            foreach (var parse in parsers)
            {
                try { parse(input); parsedOk++; }
                catch (CephBackupException e) { Assert.Equal(ExitCode.CephError, e.Code); }
            }
        }
        // Mutations that keep the document valid must still parse; otherwise the test only proves "always throws".
        Assert.InRange(parsedOk, 1, int.MaxValue);
    }

    private static string Mutate(string s, Random rng, string alphabet)
    {
        var chars = s.ToCharArray();
        chars[rng.Next(chars.Length)] = alphabet[rng.Next(alphabet.Length)];
        return new string(chars);
    }
}
