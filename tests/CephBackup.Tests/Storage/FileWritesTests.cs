using System.Security.Cryptography;
using CephBackup.Core.Storage;

namespace CephBackup.Tests.Storage;

public class FileWritesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbwrites-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Writes.Add(buffer.Length);
            return base.WriteAsync(buffer, ct);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(FileWrites.Slice, 1)]
    [InlineData(FileWrites.Slice + 1, 2)]
    [InlineData((4 << 20) + 3, 9)]
    public async Task A_write_reaches_the_file_in_slices_of_at_most_512_KiB_and_in_order(int length, int writes)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var s = new RecordingStream();
        await s.WriteSlicedAsync(data, CancellationToken.None);
        Assert.Equal(writes, s.Writes.Count);
        Assert.All(s.Writes, n => Assert.InRange(n, 1, FileWrites.Slice));
        Assert.Equal(data, s.ToArray());
    }

    [Fact]
    public void A_positioned_write_lands_at_its_offset_in_slices()
    {
        var data = RandomNumberGenerator.GetBytes((2 << 20) + 5);
        var path = Path.Combine(_dir, "f");
        using (var h = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
            FileWrites.WriteSliced(h, data, 4096);
        var back = File.ReadAllBytes(path);
        Assert.Equal(4096 + data.Length, back.Length);
        Assert.All(back.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(data, back[4096..]);
    }
}

/// <summary>
/// Counts the write system calls of this process (/proc/self/io), so it must not run beside other tests:
/// another test's writes could only raise the count and hide a sink that writes in big pieces.
/// </summary>
[CollectionDefinition(nameof(SyscallCounting), DisableParallelization = true)]
public sealed class SyscallCounting;

[Collection(nameof(SyscallCounting))]
public class SinkWriteSizeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cbwrites-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long WriteCalls() =>
        long.Parse(File.ReadLines("/proc/self/io").First(l => l.StartsWith("syscw:", StringComparison.Ordinal))[6..]);

    [Fact]
    public async Task The_plain_sink_writes_its_1_MiB_chunks_in_slices()
    {
        var diff = StorageTests.Diff(null, "BK-000001-000000", 8 << 20, RandomNumberGenerator.GetBytes(8 << 20));
        var before = WriteCalls();
        await using (var sink = new HashingFileSink(Path.Combine(_dir, "p")))
        {
            for (var off = 0; off < diff.Length; off += 1 << 20)
                await sink.WriteAsync(diff.AsMemory(off, Math.Min(1 << 20, diff.Length - off)));
            await sink.CompleteAsync();
        }
        // 8 MiB and a few bytes: 8 chunks of 1 MiB and a tail, each 1 MiB chunk as two writes (9 in one piece each).
        Assert.True(WriteCalls() - before >= 17, $"{WriteCalls() - before} write calls");
    }

    [Fact]
    public async Task The_zstd_sink_writes_its_4_MiB_frames_in_slices()
    {
        // Random data: each of the two 4 MiB frames is stored at about 4 MiB (3 writes with the seek table in one piece each).
        var diff = StorageTests.Diff(null, "BK-000001-000000", 16 << 20, RandomNumberGenerator.GetBytes(8 << 20));
        var before = WriteCalls();
        await using (var sink = new ZstdPointCodec(3).CreateSink(Path.Combine(_dir, "z.zst")))
        {
            await sink.Input.WriteAsync(diff);
            await sink.CompleteAsync();
        }
        Assert.True(WriteCalls() - before >= 16, $"{WriteCalls() - before} write calls");
    }
}
