using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace CephBackup.Core.Storage;

/// <summary>
/// The write end of a compressed export. rbd's stream is cut into 4 MiB chunks; each is compressed as an
/// independent zstd frame (with its content checksum) on the thread pool, so all cores work while rbd keeps
/// streaming. A writer task takes the frames strictly in order, hashes and writes them, so the stored-file
/// hash and the disk do not stall the pipe reader (which hashes the stream). At most
/// <see cref="MaxInFlight"/> chunks are queued: a full queue makes the next write wait, which bounds memory
/// (about 8 MiB per chunk) and passes back-pressure to rbd through the pipe. The seek table goes last.
/// Chunks that a small trial shows to be incompressible (random data, encrypted or already compressed
/// disks) are stored as they are, in raw blocks (<see cref="ZstdRawFrame"/>): the compressor could save at
/// most 3 % on them, at the price of running it.
/// </summary>
internal sealed class ZstdPointSink : Stream, IPointSink
{
    private const int HeaderCapture = 64 * 1024;
    private const long WritebackStep = 32L << 20; // as in HashingFileSink: the final fsync finds little left to do
    private static readonly int MaxInFlight = Environment.ProcessorCount + 2;

    private readonly int _level;
    private readonly FileStream _file;
    private readonly IncrementalHash _streamSha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _storedSha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly ConcurrentBag<Compressor> _compressors = [];
    private readonly System.Threading.Channels.Channel<Task<Frame>> _inFlight =
        System.Threading.Channels.Channel.CreateBounded<Task<Frame>>(new System.Threading.Channels.BoundedChannelOptions(MaxInFlight) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _writerFailed = new();
    private readonly Task _writer;
    private readonly List<(int Compressed, int Decompressed)> _frames = [];
    private readonly byte[] _head = new byte[HeaderCapture];
    private int _headLength;
    private byte[]? _chunk;
    private int _chunkLength;
    private long _streamLength;
    private long _storedLength;
    private long _writebackFrom;
    private byte _lastByte;
    private bool _disposed;

    private sealed record Frame(byte[] Buffer, int Length, int Decompressed);

    public ZstdPointSink(string path, int level)
    {
        _level = level;
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
            BufferSize = 0, Options = FileOptions.Asynchronous,
        });
        _writer = Task.Run(WriteFramesAsync);
    }

    public Stream Input => this;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        if (data.IsEmpty) return;
        _streamSha.AppendData(data.Span);
        if (_headLength < HeaderCapture)
        {
            var n = Math.Min(HeaderCapture - _headLength, data.Length);
            data.Span[..n].CopyTo(_head.AsSpan(_headLength));
            _headLength += n;
        }
        _lastByte = data.Span[^1];
        _streamLength += data.Length;
        while (!data.IsEmpty)
        {
            _chunk ??= ArrayPool<byte>.Shared.Rent(ZstdPointCodec.FrameSize);
            var n = Math.Min(ZstdPointCodec.FrameSize - _chunkLength, data.Length);
            data.Span[..n].CopyTo(_chunk.AsSpan(_chunkLength));
            _chunkLength += n;
            data = data[n..];
            if (_chunkLength == ZstdPointCodec.FrameSize) await SubmitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task SubmitAsync(CancellationToken ct)
    {
        var (chunk, length) = (_chunk!, _chunkLength);
        _chunk = null;
        _chunkLength = 0;
        var frame = Task.Run(() => Compress(chunk, length), CancellationToken.None);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, _writerFailed.Token);
        try { await _inFlight.Writer.WriteAsync(frame, either.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (_writerFailed.IsCancellationRequested)
        {
            await _writer.ConfigureAwait(false); // throws the writer's error
            throw;
        }
        catch (OperationCanceledException)
        {
            await ReturnAsync(frame).ConfigureAwait(false);
            throw;
        }
    }

    private Frame Compress(byte[] chunk, int length)
    {
        try
        {
            if (!_compressors.TryTake(out var c))
            {
                c = new Compressor(_level);
                // Each frame carries XXH64 of its content: a flipped bit is caught by any zstd decoder, ours included.
                c.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            }
            var output = ArrayPool<byte>.Shared.Rent(Math.Max(Compressor.GetCompressBound(length), ZstdRawFrame.MaxSize(length)));
            int n;
            if (Incompressible(c, chunk.AsSpan(0, length), output)) n = ZstdRawFrame.Write(chunk.AsSpan(0, length), output);
            else
            {
                c.Level = _level;
                n = c.Wrap(chunk.AsSpan(0, length), output);
            }
            _compressors.Add(c);
            return new Frame(output, n, length);
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
    }

    private const int TrialPiece = 16 * 1024;

    /// <summary>Four 16 KiB pieces spread over the chunk, compressed at level 1: under 2 % of the chunk's cost. Leaves <paramref name="c"/> at level 1.</summary>
    private static bool Incompressible(Compressor c, ReadOnlySpan<byte> chunk, Span<byte> scratch)
    {
        if (chunk.Length < 16 * TrialPiece) return false;
        c.Level = 1;
        long packed = 0;
        for (var i = 0; i < 4; i++)
            packed += c.Wrap(chunk.Slice(i * (chunk.Length / 4), TrialPiece), scratch);
        return packed > 4 * TrialPiece * 97L / 100;
    }

    /// <summary>Takes the frames in order: hashes and writes each, frees its buffer.</summary>
    private async Task WriteFramesAsync()
    {
        try
        {
            await foreach (var t in _inFlight.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var f = await t.ConfigureAwait(false);
                try
                {
                    await WriteStoredAsync(f.Buffer.AsMemory(0, f.Length), CancellationToken.None).ConfigureAwait(false);
                    _frames.Add((f.Length, f.Decompressed));
                }
                finally { ArrayPool<byte>.Shared.Return(f.Buffer); }
            }
        }
        catch
        {
            _writerFailed.Cancel();
            while (_inFlight.Reader.TryRead(out var left)) await ReturnAsync(left).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ReturnAsync(Task<Frame> t)
    {
        try { ArrayPool<byte>.Shared.Return((await t.ConfigureAwait(false)).Buffer); }
        catch (ZstdException) { }
    }

    private async Task WriteStoredAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        _storedSha.AppendData(bytes.Span);
        await _file.WriteSlicedAsync(bytes, ct).ConfigureAwait(false);
        _storedLength += bytes.Length;
        if (_storedLength - _writebackFrom >= WritebackStep)
        {
            Posix.StartWriteback(_file.SafeFileHandle, _writebackFrom, _storedLength - _writebackFrom);
            _writebackFrom = _storedLength;
        }
    }

    /// <summary>Compresses the rest, writes the seek table, fsyncs; returns what was written.</summary>
    public async Task<WrittenPoint> CompleteAsync()
    {
        if (_chunkLength > 0) await SubmitAsync(CancellationToken.None).ConfigureAwait(false);
        _inFlight.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await WriteStoredAsync(ZstdSeekTable.Build(_frames), CancellationToken.None).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        DiffHeader.TryParse(_head.AsSpan(0, _headLength), out var header);
        return new WrittenPoint(_storedLength, Convert.ToHexStringLower(_storedSha.GetHashAndReset()),
            _streamLength, Convert.ToHexStringLower(_streamSha.GetHashAndReset()), header,
            _streamLength > 0 && _lastByte == (byte)'e');
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        // After a failed export: the writer finishes what is queued (or has failed), then everything is freed.
        _inFlight.Writer.TryComplete();
        try { await _writer.ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ZstdException or UnauthorizedAccessException) { } // reported by CompleteAsync/WriteAsync
        if (_chunk is not null) ArrayPool<byte>.Shared.Return(_chunk);
        _chunk = null;
        await _file.DisposeAsync().ConfigureAwait(false);
        _streamSha.Dispose();
        _storedSha.Dispose();
        _writerFailed.Dispose();
        while (_compressors.TryTake(out var c)) c.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _streamLength;
    public override long Position { get => _streamLength; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
