using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ZstdSharp;

namespace CephBackup.Core.Storage;

/// <summary>
/// The diff stream of a <c>.zst</c> point, read front to back. A background task cuts the stored bytes into
/// frames and decodes them up to <see cref="ReadAhead"/> frames ahead, so decoding overlaps rbd's import
/// instead of adding to it. The stream ends cleanly only after the seek table was read and found to
/// describe exactly the frames decoded, with nothing after it: a truncated, cut or extended file is an
/// <see cref="InvalidDataException"/>, never a short diff.
/// </summary>
internal sealed class ZstdDiffStream : Stream
{
    private const int ReadAhead = 2;
    private readonly Stream _stored;
    private readonly bool _leaveOpen;
    private readonly Channel<(byte[] Buffer, int Length)> _decoded =
        Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private Exception? _error;
    private byte[]? _current;
    private int _currentLength;
    private int _currentPos;
    private long _position;

    public ZstdDiffStream(Stream stored, bool leaveOpen)
    {
        _stored = stored;
        _leaveOpen = leaveOpen;
        _producer = Task.Run(() => ProduceAsync(_stop.Token));
    }

    private async Task ProduceAsync(CancellationToken ct)
    {
        try
        {
            using var decompressor = new Decompressor();
            var scanner = new ZstdFrameScanner(_stored);
            var seen = new List<(int Compressed, int Decompressed)>();
            while (true)
            {
                var start = scanner.Position;
                var (kind, bytes) = await scanner.NextAsync(ct).ConfigureAwait(false);
                if (kind == ZstdFrameScanner.Kind.End) throw new InvalidDataException("zstd file has no seek table at its end (truncated?)");
                if (kind == ZstdFrameScanner.Kind.Skippable)
                {
                    CheckTable(ZstdSeekTable.FromPayload(bytes.Span, start), seen);
                    if ((await scanner.NextAsync(ct).ConfigureAwait(false)).Kind != ZstdFrameScanner.Kind.End)
                        throw new InvalidDataException("zstd file has data after its seek table");
                    break;
                }
                var buffer = ArrayPool<byte>.Shared.Rent(ZstdPointCodec.FrameSize);
                int n;
                try { n = ZstdFrames.Decode(decompressor, bytes.Span, buffer, start); }
                catch { ArrayPool<byte>.Shared.Return(buffer); throw; }
                seen.Add((bytes.Length, n));
                await _decoded.Writer.WriteAsync((buffer, n), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            _error = e;
        }
        _decoded.Writer.Complete();
    }

    private static void CheckTable(ZstdSeekTable table, List<(int Compressed, int Decompressed)> seen)
    {
        if (table.FrameCount != seen.Count)
            throw new InvalidDataException($"zstd seek table lists {table.FrameCount} frames, the file has {seen.Count}");
        for (var i = 0; i < seen.Count; i++)
            if (table.CompressedSize(i) != seen[i].Compressed || table.DecompressedSize(i) != seen[i].Decompressed)
                throw new InvalidDataException($"zstd seek table entry {i} does not match frame {i}");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.IsEmpty) return 0;
        while (_current is null || _currentPos == _currentLength)
        {
            if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
            _current = null;
            if (!await _decoded.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                if (_error is not null) ExceptionDispatchInfo.Capture(_error).Throw();
                return 0;
            }
            if (_decoded.Reader.TryRead(out var next)) (_current, _currentLength, _currentPos) = (next.Buffer, next.Length, 0);
        }
        var n = Math.Min(buffer.Length, _currentLength - _currentPos);
        _current.AsSpan(_currentPos, n).CopyTo(buffer.Span);
        _currentPos += n;
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public override async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (!_leaveOpen) await _stored.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopAsync().GetAwaiter().GetResult();
            if (!_leaveOpen) _stored.Dispose();
        }
        base.Dispose(disposing);
    }

    private async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        await _producer.ConfigureAwait(false); // it catches everything itself
        while (_decoded.Reader.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
        _current = null;
        _stop.Dispose();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Decoding one frame of ours, with every failure as <see cref="InvalidDataException"/>.</summary>
internal static class ZstdFrames
{
    /// <returns>The frame's content length (at most <see cref="ZstdPointCodec.FrameSize"/>).</returns>
    public static int Decode(Decompressor d, ReadOnlySpan<byte> frame, Span<byte> output, long fileOffset)
    {
        ulong declared;
        try { declared = Decompressor.GetDecompressedSize(frame); }
        catch (ZstdException e) { throw new InvalidDataException($"zstd frame at file offset {fileOffset} is damaged: {e.Message}", e); }
        if (declared > ZstdPointCodec.FrameSize)
            throw new InvalidDataException($"zstd frame at file offset {fileOffset} declares {declared} bytes, more than any frame this tool writes");
        try
        {
            var n = d.Unwrap(frame, output);
            if ((ulong)n != declared) throw new InvalidDataException($"zstd frame at file offset {fileOffset} decodes to {n} bytes, it declares {declared}");
            return n;
        }
        catch (ZstdException e) { throw new InvalidDataException($"zstd frame at file offset {fileOffset} is damaged: {e.Message}", e); }
    }
}
