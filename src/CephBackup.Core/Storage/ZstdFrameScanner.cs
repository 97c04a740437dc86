using System.Buffers.Binary;

namespace CephBackup.Core.Storage;

/// <summary>
/// Cuts a zstd file read front to back (a pipe is enough: restore hashes the stored bytes as it reads them)
/// into whole frames, from the frame and block headers alone (RFC 8878 §3.1.1), so each frame can be
/// decoded on its own and its exact stored size checked against the seek table.
/// </summary>
internal sealed class ZstdFrameScanner(Stream input)
{
    public const uint ZstdMagic = 0xFD2FB528;
    // A frame of ours is at most 4 MiB of content; anything whose stored form grows past this is not ours.
    public const int MaxStoredFrame = ZstdPointCodec.FrameSize + (ZstdPointCodec.FrameSize >> 7) + (1 << 16);

    private byte[] _buffer = new byte[1 << 16];

    /// <summary>Bytes of the file consumed so far.</summary>
    public long Position { get; private set; }

    public enum Kind { End, Data, Skippable }

    /// <summary>The next frame: its kind and bytes (the whole frame for data, the payload for skippable).</summary>
    public async Task<(Kind Kind, ReadOnlyMemory<byte> Bytes)> NextAsync(CancellationToken ct)
    {
        var got = await FillAsync(0, 4, ct, allowEnd: true);
        if (got == 0) return (Kind.End, default);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(_buffer);
        if ((magic & 0xFFFFFFF0) == 0x184D2A50)
        {
            await FillAsync(4, 4, ct);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(4));
            if (size > MaxStoredFrame) throw new InvalidDataException($"skippable frame of {size} bytes is implausible");
            await FillAsync(0, (int)size, ct);
            Position += 8 + size;
            return (Kind.Skippable, _buffer.AsMemory(0, (int)size));
        }
        if (magic != ZstdMagic) throw new InvalidDataException($"bad zstd frame magic 0x{magic:x8} at file offset {Position}");
        var length = await ReadDataFrameAsync(ct);
        Position += length;
        return (Kind.Data, _buffer.AsMemory(0, length));
    }

    private async Task<int> ReadDataFrameAsync(CancellationToken ct)
    {
        await FillAsync(4, 1, ct);
        var fhd = _buffer[4];
        if ((fhd & 0x08) != 0) throw new InvalidDataException("zstd frame header has its reserved bit set");
        var singleSegment = (fhd & 0x20) != 0;
        var fcsSize = (fhd >> 6) switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        var didSize = (fhd & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        var hasChecksum = (fhd & 0x04) != 0;
        var pos = 5 + (singleSegment ? 0 : 1) + didSize + fcsSize;
        await FillAsync(5, pos - 5, ct);
        while (true)
        {
            await FillAsync(pos, 3, ct);
            var bh = _buffer[pos] | _buffer[pos + 1] << 8 | _buffer[pos + 2] << 16;
            var last = (bh & 1) != 0;
            var type = (bh >> 1) & 3;
            var size = bh >> 3;
            var stored = type switch { 0 or 2 => size, 1 => 1, _ => throw new InvalidDataException("zstd block of reserved type") };
            pos += 3;
            if (pos + stored > MaxStoredFrame) throw new InvalidDataException("zstd frame is larger than any frame this tool writes");
            await FillAsync(pos, stored, ct);
            pos += stored;
            if (last) break;
        }
        if (hasChecksum)
        {
            await FillAsync(pos, 4, ct);
            pos += 4;
        }
        return pos;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes to <c>_buffer[at..]</c>; 0 only at a clean end when allowed.</summary>
    private async Task<int> FillAsync(int at, int count, CancellationToken ct, bool allowEnd = false)
    {
        if (_buffer.Length < at + count)
        {
            var bigger = new byte[Math.Max(at + count, Math.Min(_buffer.Length * 2, MaxStoredFrame + 16))];
            _buffer.AsSpan(0, at).CopyTo(bigger);
            _buffer = bigger;
        }
        var total = 0;
        while (total < count)
        {
            var n = await input.ReadAsync(_buffer.AsMemory(at + total, count - total), ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (allowEnd && total == 0) return 0;
                throw new InvalidDataException($"zstd file ends inside a frame at offset {Position + at + total} (truncated)");
            }
            total += n;
        }
        return total;
    }
}
