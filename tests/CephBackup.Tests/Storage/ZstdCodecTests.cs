using System.Diagnostics;
using System.Security.Cryptography;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

public class ZstdCodecTests : IDisposable
{
    private const int F = ZstdPointCodec.FrameSize;
    private readonly string _dir = Directory.CreateTempSubdirectory("cbzstd-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A diff v1 stream of about <paramref name="payload"/> bytes: half random, half compressible text.</summary>
    private static byte[] Stream(int payload, int seed = 1)
    {
        var data = new byte[payload];
        var rnd = new Random(seed);
        rnd.NextBytes(data.AsSpan(0, payload / 2));
        var text = "the quick brown fox jumps over the lazy dog 0123456789\n"u8;
        for (var i = payload / 2; i < payload; i++) data[i] = text[(i + seed) % text.Length];
        return StorageTests.Diff("BK-000001-000000", "BK-000001-000001", 1L << 30, data);
    }

    private async Task<(string Path, WrittenPoint W)> WriteAsync(byte[] stream, int level = 3, int writeSize = 65536 + 7)
    {
        var path = Path.Combine(_dir, $"p{Guid.NewGuid():N}.zst");
        await using var sink = new ZstdPointCodec(level).CreateSink(path);
        for (var o = 0; o < stream.Length; o += writeSize)
            await sink.Input.WriteAsync(stream.AsMemory(o, Math.Min(writeSize, stream.Length - o)));
        return (path, await sink.CompleteAsync());
    }

    private static async Task<byte[]> ReadAllAsync(string path)
    {
        await using var fs = File.OpenRead(path);
        await using var s = new ZstdPointCodec().OpenDiffStream(fs);
        var ms = new MemoryStream();
        await s.CopyToAsync(ms, 100_003);
        return ms.ToArray();
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Theory]
    [InlineData(10)]
    [InlineData(F - 40)]   // the whole stream exactly one frame or close to it
    [InlineData(F)]
    [InlineData(3 * F + 12345)]
    public async Task Round_trip_is_exact_and_both_checksums_are_right(int payload)
    {
        var stream = Stream(payload);
        var (path, w) = await WriteAsync(stream);
        Assert.Equal(stream, await ReadAllAsync(path));
        Assert.Equal((long)stream.Length, w.StreamBytes);
        Assert.Equal(Sha(stream), w.StreamSha256);
        Assert.Equal(new FileInfo(path).Length, w.StoredBytes);
        Assert.Equal(Sha(File.ReadAllBytes(path)), w.StoredSha256);
        Assert.NotEqual(w.StreamSha256, w.StoredSha256);
        Assert.Equal(("BK-000001-000000", 1L << 30), (w.Header!.FromSnap, w.Header.ImageSize));
        Assert.True(w.EndsWithEndTag);
    }

    [Fact]
    public async Task Frames_hold_at_most_4_MiB_of_stream_each()
    {
        var stream = Stream(2 * F + 100);
        var (path, _) = await WriteAsync(stream, writeSize: 1 << 20);
        using var ra = (ZstdRandomAccess)new ZstdPointCodec().OpenRandomAccess(path);
        var expectedFrames = (stream.Length + F - 1) / F;
        Assert.Equal(expectedFrames, ra.FrameCount);
        Assert.Equal(stream.Length, ra.StreamLength);
    }

    [Fact]
    public async Task Compressible_data_gets_smaller_and_a_higher_level_is_honoured()
    {
        var text = new byte[F + 1000];
        for (var i = 0; i < text.Length; i++) text[i] = (byte)"log line 42: all fine\n"[i % 22];
        var stream = StorageTests.Diff(null, "s", 1 << 30, text);
        var (_, fast) = await WriteAsync(stream, level: 1);
        var (_, strong) = await WriteAsync(stream, level: 19);
        Assert.True(fast.StoredBytes < stream.Length / 20, $"{fast.StoredBytes} of {stream.Length}");
        Assert.True(strong.StoredBytes <= fast.StoredBytes);
    }

    [Fact]
    public async Task Random_access_reaches_any_byte_with_at_most_one_frame_decoded()
    {
        var stream = Stream(5 * F + 999, seed: 3);
        var (path, _) = await WriteAsync(stream);
        using var ra = (ZstdRandomAccess)new ZstdPointCodec().OpenRandomAccess(path);
        var rnd = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var off = rnd.NextInt64(stream.Length);
            var before = ra.FramesDecoded;
            var one = new byte[1];
            Assert.Equal(1, ra.ReadAt(off, one));
            Assert.Equal(stream[off], one[0]);
            Assert.InRange(ra.FramesDecoded - before, 0, 1);
        }
        // Across frame boundaries, and past the end.
        foreach (var (off, len) in new[] { (F - 10L, 20), (0L, 3 * F + 5), (stream.Length - 5, 100), (2L * F, F) })
        {
            var buf = new byte[len];
            var n = ra.ReadAt(off, buf);
            Assert.Equal((int)Math.Min(len, stream.Length - off), n);
            Assert.Equal(stream.AsSpan((int)off, n).ToArray(), buf.AsSpan(0, n).ToArray());
        }
        Assert.Equal(0, ra.ReadAt(stream.Length, new byte[10]));
        // Forward reads inside one frame reuse the cached frame.
        var cached = ra.FramesDecoded;
        ra.ReadAt(4 * F + 1, new byte[100]);
        ra.ReadAt(4 * F + 101, new byte[100]);
        Assert.InRange(ra.FramesDecoded - cached, 0, 1);
    }

    [Fact]
    public async Task A_truncated_file_is_detected_by_both_readers()
    {
        var stream = Stream(2 * F + 5000);
        var (path, _) = await WriteAsync(stream);
        var full = File.ReadAllBytes(path);
        // Inside the first frame, at a frame boundary (the seek table lost whole), inside the seek table, its last byte.
        var table = full.Length - (3 * 8 + 17);
        foreach (var cut in new[] { 100, full.Length / 2, table, table + 10, full.Length - 1 })
        {
            var t = Path.Combine(_dir, $"cut{cut}.zst");
            File.WriteAllBytes(t, full[..cut]);
            await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(t));
            Assert.Throws<InvalidDataException>(() => new ZstdPointCodec().OpenRandomAccess(t).Dispose());
        }
    }

    [Fact]
    public async Task A_flipped_bit_anywhere_is_detected_by_the_sequential_reader_or_changes_nothing()
    {
        var stream = Stream(F + 3000, seed: 9);
        var (path, _) = await WriteAsync(stream);
        var full = File.ReadAllBytes(path);
        var rnd = new Random(11);
        // The frame headers, the seek table, the end, and random places in between.
        var positions = Enumerable.Range(0, 24).Concat(Enumerable.Range(full.Length - 40, 40))
            .Concat(Enumerable.Range(0, 60).Select(_ => rnd.Next(full.Length))).Distinct();
        var undetected = 0;
        foreach (var pos in positions)
        {
            var bad = (byte[])full.Clone();
            bad[pos] ^= (byte)(1 << rnd.Next(8));
            var t = Path.Combine(_dir, "flip.zst");
            File.WriteAllBytes(t, bad);
            // A few header bits (e.g. the window size) change nothing decoded; the stored sha256 catches those.
            // What must never happen is a different stream handed out without an error.
            byte[]? decoded = null;
            var e = await Record.ExceptionAsync(async () => decoded = await ReadAllAsync(t));
            Assert.True(e is InvalidDataException || e is null && decoded!.SequenceEqual(stream),
                $"flip at {pos} of {full.Length}: {e?.GetType().Name ?? "a different stream"}");
            if (e is null) undetected++;
        }
        Assert.InRange(undetected, 0, 4); // header bits only, not data
    }

    [Fact]
    public async Task A_flipped_bit_in_a_frame_is_detected_by_random_access()
    {
        var stream = Stream(2 * F, seed: 4);
        var (path, _) = await WriteAsync(stream);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 4] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        using var ra = new ZstdPointCodec().OpenRandomAccess(path);
        Assert.Throws<InvalidDataException>(() => ra.ReadAt(0, new byte[2 * F]));
    }

    [Fact]
    public async Task The_zstd_command_decodes_the_file_and_its_test_mode_passes()
    {
        var stream = Stream(2 * F + 777);
        var (path, _) = await WriteAsync(stream);
        Assert.Equal(0, Run("zstd", "-t", "-q", path).Code);
        var outFile = Path.Combine(_dir, "decoded");
        Assert.Equal(0, Run("zstd", "-d", "-q", "-o", outFile, path).Code);
        Assert.Equal(stream, File.ReadAllBytes(outFile));

        var bad = File.ReadAllBytes(path);
        bad[bad.Length / 3] ^= 1;
        File.WriteAllBytes(path, bad);
        Assert.NotEqual(0, Run("zstd", "-t", "-q", path).Code);
    }

    [Fact]
    public async Task Incompressible_chunks_are_stored_in_raw_blocks_that_any_zstd_decoder_reads()
    {
        var random = new byte[2 * F + 300_000];
        new Random(7).NextBytes(random);
        var stream = StorageTests.Diff("BK-000001-000000", "BK-000001-000001", 1L << 30, random);
        var (path, w) = await WriteAsync(stream);
        // Raw blocks: 3 bytes a 128 KiB block plus 13 a frame, the seek table and nothing else.
        Assert.InRange(w.StoredBytes - w.StreamBytes, 1, 3 * 3 * 13 + 3 * (F / (128 * 1024) + 3) + 100);
        Assert.Equal(stream, await ReadAllAsync(path));
        Assert.Equal(0, Run("zstd", "-t", "-q", path).Code);
        var decoded = Path.Combine(_dir, "raw-decoded");
        Assert.Equal(0, Run("zstd", "-d", "-q", "-o", decoded, path).Code);
        Assert.Equal(stream, File.ReadAllBytes(decoded));
        using var ra = (ZstdRandomAccess)new ZstdPointCodec().OpenRandomAccess(path);
        var buf = new byte[1000];
        Assert.Equal(1000, ra.ReadAt(F + 5000, buf));
        Assert.Equal(stream.AsSpan(F + 5000, 1000).ToArray(), buf);
    }

    [Fact]
    public async Task A_failed_export_leaves_no_background_work_and_the_file_can_be_removed()
    {
        var path = Path.Combine(_dir, "failed.zst.partial");
        await using (var sink = new ZstdPointCodec().CreateSink(path))
            await sink.Input.WriteAsync(Stream(3 * F));
        File.Delete(path);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(null, PointFormat.Plain, 0)]
    [InlineData("", PointFormat.Plain, 0)]
    [InlineData("none", PointFormat.Plain, 0)]
    [InlineData(" NONE ", PointFormat.Plain, 0)]
    [InlineData("zstd", PointFormat.Zstd, 3)]
    [InlineData("zstd:1", PointFormat.Zstd, 1)]
    [InlineData("ZSTD:19", PointFormat.Zstd, 19)]
    [InlineData("zstd:07", PointFormat.Zstd, 7)]
    public void Compression_setting_picks_the_codec(string? value, PointFormat format, int level)
    {
        var c = PointCodecs.ForJob(value);
        Assert.Equal(format, c.Format);
        if (c is ZstdPointCodec z) Assert.Equal(level, z.Level);
    }

    [Theory]
    [InlineData("zstd:0")]
    [InlineData("zstd:20")]
    [InlineData("zstd:")]
    [InlineData("zstd:3 x")]
    [InlineData("zstd:-1")]
    [InlineData("zstd:３")]
    [InlineData("gzip")]
    [InlineData("zstd 3")]
    public void A_bad_compression_setting_is_refused(string value) =>
        Assert.Throws<FormatException>(() => PointCodecs.ForJob(value));

    [Fact]
    public async Task Find_tells_the_codec_from_which_file_exists()
    {
        var point = Path.Combine(_dir, "000003");
        Assert.Null(PointCodecs.Find(point));
        await File.WriteAllBytesAsync(point + ".zst", [1]);
        Assert.Equal(PointFormat.Zstd, PointCodecs.Find(point)!.Format);
        Assert.Equal(point + ".zst", PointCodecs.FindStored(point));
        await File.WriteAllBytesAsync(point, [1]);
        Assert.Equal(PointFormat.Plain, PointCodecs.Find(point)!.Format);
    }

    private static (int Code, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }
}
