using System.Buffers;
using Microsoft.Win32.SafeHandles;
using ZstdSharp;

namespace CephBackup.Core.Storage;

/// <summary>
/// Positional reads of a <c>.zst</c> point through its seek table: a byte costs at most one frame decode,
/// and the last decoded frame is kept, since readers (NBD clients, qemu) mostly read forward in small pieces.
/// Safe for concurrent callers (one lock: the cache and the decompressor are shared).
/// </summary>
internal sealed class ZstdRandomAccess : IDiffRandomAccess
{
    private readonly SafeFileHandle _handle;
    private readonly ZstdSeekTable _table;
    private readonly Decompressor _decompressor = new();
    private readonly byte[] _frame = new byte[ZstdPointCodec.FrameSize];
    private readonly Lock _lock = new();
    private int _cached = -1;

    public ZstdRandomAccess(string path)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try { _table = ZstdSeekTable.Read(_handle, RandomAccess.GetLength(_handle)); }
        catch
        {
            _handle.Dispose();
            _decompressor.Dispose();
            throw;
        }
    }

    public long StreamLength => _table.StreamLength;

    public int FrameCount => _table.FrameCount;

    /// <summary>How many frames were decoded so far (tests check the one-frame promise with it).</summary>
    public int FramesDecoded { get; private set; }

    public int ReadAt(long streamOffset, Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(streamOffset);
        var total = 0;
        lock (_lock)
        {
            while (total < buffer.Length && streamOffset + total < _table.StreamLength)
            {
                var pos = streamOffset + total;
                var f = _table.FrameOf(pos);
                Load(f);
                var inFrame = (int)(pos - _table.StreamOffset(f));
                var n = Math.Min(buffer.Length - total, _table.DecompressedSize(f) - inFrame);
                _frame.AsSpan(inFrame, n).CopyTo(buffer[total..]);
                total += n;
            }
        }
        return total;
    }

    private void Load(int frame)
    {
        if (_cached == frame) return;
        _cached = -1;
        var size = _table.CompressedSize(frame);
        var offset = _table.FileOffset(frame);
        var stored = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var got = 0;
            while (got < size)
            {
                var n = RandomAccess.Read(_handle, stored.AsSpan(got, size - got), offset + got);
                if (n == 0) throw new InvalidDataException($"zstd file ends inside frame {frame} (truncated)");
                got += n;
            }
            var length = ZstdFrames.Decode(_decompressor, stored.AsSpan(0, size), _frame, offset);
            if (length != _table.DecompressedSize(frame))
                throw new InvalidDataException($"zstd frame {frame} holds {length} bytes, its seek table entry says {_table.DecompressedSize(frame)}");
            FramesDecoded++;
            _cached = frame;
        }
        finally { ArrayPool<byte>.Shared.Return(stored); }
    }

    public void Dispose()
    {
        _handle.Dispose();
        _decompressor.Dispose();
    }
}
