using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

public class DiffSnapshotStripperTests
{
    private static readonly byte[] Payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();

    /// <summary>Hands out at most <paramref name="chunk"/> bytes per read, as a pipe may.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], ct);
    }

    private static async Task<(byte[] Out, string? ToSnap)> StripAsync(byte[] diff, string? expectedFrom, int chunk = 1 << 20, int readSize = 1 << 20)
    {
        var s = new DiffSnapshotStripper(new Trickle(diff, chunk), expectedFrom, "/b/000001");
        var outStream = new MemoryStream();
        var buf = new byte[readSize];
        int n;
        while ((n = await s.ReadAsync(buf)) > 0) outStream.Write(buf, 0, n);
        return (outStream.ToArray(), s.ToSnap);
    }

    [Theory]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData(1, 1 << 20)]   // the header arrives a byte at a time
    [InlineData(1 << 20, 7)]   // the reader asks for a few bytes at a time
    [InlineData(5, 3)]
    public async Task The_snapshot_records_are_left_out_and_everything_else_is_passed_on_unchanged(int chunk, int readSize)
    {
        var inc = StorageTests.Diff("BK-000001-000000", "BK-000001-000001", 1 << 20, Payload);
        var (output, to) = await StripAsync(inc, "BK-000001-000000", chunk, readSize);

        Assert.Equal("BK-000001-000001", to);
        var plain = StorageTests.Diff(null, "X", 1 << 20, Payload);
        var expected = plain[..12].Concat(plain[(12 + 1 + 4 + 1)..]).ToArray(); // banner, then all after the 't' record
        Assert.Equal(expected, output);
        var check = DiffFile.Check(new MemoryStream(output));
        Assert.Null(check.Problem);
        Assert.Equal(new DiffHeader(null, null, 1 << 20), check.Header);
    }

    [Fact]
    public async Task A_full_is_accepted_only_as_the_first_file()
    {
        var full = StorageTests.Diff(null, "BK-000001-000000", 1 << 20, Payload);
        Assert.Equal("BK-000001-000000", (await StripAsync(full, null)).ToSnap);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync(full, "BK-000001-000003"));
        Assert.Contains("/b/000001 starts from snapshot (none: it is a full), but the file before it in the chain ends at BK-000001-000003", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("BK-000001-000001")]
    public async Task A_diff_that_does_not_start_where_the_previous_file_ended_is_refused_before_any_record_is_passed_on(string? previous)
    {
        var inc = StorageTests.Diff("BK-000001-000002", "BK-000001-000003", 1 << 20, Payload);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync(inc, previous));
        Assert.Contains("starts from snapshot BK-000001-000002", e.Message);
    }

    [Fact]
    public async Task A_stream_that_is_not_a_diff_or_is_cut_inside_its_header_is_refused()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync("not a diff at all"u8.ToArray(), null));
        var full = StorageTests.Diff(null, "BK-000001-000000", 1 << 20, Payload);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => StripAsync(full[..20], null));
        Assert.Contains("cut short", e.Message);
    }
}
