using System.Buffers.Binary;

namespace CephBackup.Core.Storage;

/// <summary>
/// The seek table of the zstd seekable format (facebook/zstd contrib/seekable_format): a skippable frame at
/// the end of the file listing each frame's compressed and decompressed size. Standard <c>zstd -d</c> skips it,
/// so a <c>.zst</c> point stays an ordinary zstd file. No per-entry checksums: every frame carries zstd's own
/// content checksum (XXH64), which the decoder checks.
/// </summary>
internal sealed class ZstdSeekTable
{
    public const uint SkippableMagic = 0x184D2A5E;
    public const uint SeekableMagic = 0x8F92EAB1;
    public const int FooterSize = 9;
    private const int EntrySize = 8;
    private const int FrameHeaderSize = 8;
    // The format's own limit; more frames than this would be a 512 TiB stream at our 4 MiB frames.
    private const int MaxFrames = 0x8000000;

    private readonly long[] _fileOffsets;
    private readonly long[] _streamOffsets;

    private ZstdSeekTable(long[] fileOffsets, long[] streamOffsets)
    {
        _fileOffsets = fileOffsets;
        _streamOffsets = streamOffsets;
    }

    public int FrameCount => _fileOffsets.Length - 1;
    public long StreamLength => _streamOffsets[^1];
    /// <summary>Where the seek table's skippable frame starts: the end of the last data frame.</summary>
    public long DataEnd => _fileOffsets[^1];

    public long FileOffset(int frame) => _fileOffsets[frame];
    public int CompressedSize(int frame) => (int)(_fileOffsets[frame + 1] - _fileOffsets[frame]);
    public long StreamOffset(int frame) => _streamOffsets[frame];
    public int DecompressedSize(int frame) => (int)(_streamOffsets[frame + 1] - _streamOffsets[frame]);

    /// <summary>The frame holding stream byte <paramref name="streamOffset"/> (which must be below <see cref="StreamLength"/>).</summary>
    public int FrameOf(long streamOffset)
    {
        var i = Array.BinarySearch(_streamOffsets, streamOffset);
        // An exact hit can be the start of several frames only if some are empty; take the last such, which holds the byte.
        if (i >= 0)
        {
            while (i + 1 < _streamOffsets.Length - 1 && _streamOffsets[i + 1] == streamOffset) i++;
            return i;
        }
        return ~i - 1;
    }

    /// <summary>The whole skippable frame for these (compressed, decompressed) sizes.</summary>
    public static byte[] Build(IReadOnlyList<(int Compressed, int Decompressed)> frames)
    {
        var payload = frames.Count * EntrySize + FooterSize;
        var table = new byte[FrameHeaderSize + payload];
        var s = table.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, SkippableMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)payload);
        var pos = FrameHeaderSize;
        foreach (var (c, d) in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s[pos..], (uint)c);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 4)..], (uint)d);
            pos += EntrySize;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(s[pos..], (uint)frames.Count);
        s[pos + 4] = 0; // descriptor: no checksums
        BinaryPrimitives.WriteUInt32LittleEndian(s[(pos + 5)..], SeekableMagic);
        return table;
    }

    /// <summary>Reads and checks the seek table at the end of a file of <paramref name="fileLength"/> bytes.</summary>
    /// <exception cref="InvalidDataException">No valid seek table (not ours, truncated, or damaged).</exception>
    public static ZstdSeekTable Read(Microsoft.Win32.SafeHandles.SafeFileHandle file, long fileLength)
    {
        if (fileLength < FrameHeaderSize + FooterSize) throw new InvalidDataException("too short for a seekable zstd file (truncated?)");
        Span<byte> footer = stackalloc byte[FooterSize];
        ReadExactly(file, footer, fileLength - FooterSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer[5..]) != SeekableMagic)
            throw new InvalidDataException("no zstd seek table at the end of the file (truncated?)");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        if ((footer[4] & 0x7F) != 0) throw new InvalidDataException("zstd seek table descriptor has unknown bits set");
        var entry = (footer[4] & 0x80) != 0 ? EntrySize + 4 : EntrySize;
        if (count > MaxFrames) throw new InvalidDataException($"zstd seek table claims {count} frames");
        var payload = (long)count * entry + FooterSize;
        var tableStart = fileLength - payload - FrameHeaderSize;
        if (tableStart < 0) throw new InvalidDataException("zstd seek table is larger than the file");
        var table = new byte[payload + FrameHeaderSize];
        ReadExactly(file, table, tableStart);
        if (BinaryPrimitives.ReadUInt32LittleEndian(table) != SkippableMagic || BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)) != payload)
            throw new InvalidDataException("zstd seek table frame header is damaged");
        return FromEntries(table.AsSpan(FrameHeaderSize, (int)(payload - FooterSize)), (int)count, entry, tableStart);
    }

    /// <summary>Parses the entries; the compressed sizes must add up to <paramref name="dataEnd"/> (the table's own offset).</summary>
    public static ZstdSeekTable FromEntries(ReadOnlySpan<byte> entries, int count, int entrySize, long dataEnd)
    {
        var file = new long[count + 1];
        var stream = new long[count + 1];
        for (var i = 0; i < count; i++)
        {
            var e = entries.Slice(i * entrySize, entrySize);
            file[i + 1] = file[i] + BinaryPrimitives.ReadUInt32LittleEndian(e);
            stream[i + 1] = stream[i] + BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
        }
        if (file[count] != dataEnd)
            throw new InvalidDataException($"zstd seek table covers {file[count]} bytes of frames, the file has {dataEnd} (damaged or truncated)");
        return new ZstdSeekTable(file, stream);
    }

    /// <summary>Parses a seek table frame's payload (after magic and size) read front to back.</summary>
    public static ZstdSeekTable FromPayload(ReadOnlySpan<byte> payload, long dataEnd)
    {
        if (payload.Length < FooterSize) throw new InvalidDataException("zstd seek table is shorter than its footer");
        var footer = payload[^FooterSize..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer[5..]) != SeekableMagic)
            throw new InvalidDataException("skippable frame at the end is not a zstd seek table");
        if ((footer[4] & 0x7F) != 0) throw new InvalidDataException("zstd seek table descriptor has unknown bits set");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        var entry = (footer[4] & 0x80) != 0 ? EntrySize + 4 : EntrySize;
        if (count > MaxFrames || (long)count * entry != payload.Length - FooterSize)
            throw new InvalidDataException("zstd seek table size does not match its frame count");
        return FromEntries(payload[..^FooterSize], (int)count, entry, dataEnd);
    }

    private static void ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0) throw new InvalidDataException("file ended inside the zstd seek table (truncated?)");
            total += n;
        }
    }
}
