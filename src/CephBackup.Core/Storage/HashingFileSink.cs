using System.Buffers;
using System.Security.Cryptography;

namespace CephBackup.Core.Storage;

/// <summary>
/// The write end of an export: every chunk is hashed (SHA-256) and written to the file, with the file
/// write of chunk n overlapping the pipe read and hash of chunk n+1 (one spare buffer), so neither the
/// hash nor the disk alone sets the pace. Also watches the stream's head (image size) and last byte ('e').
/// </summary>
public sealed class HashingFileSink : Stream
{
    private const int HeaderCapture = 64 * 1024;
    // Dirty pages are handed to the disk every 32 MiB while the export runs, so the final fsync has little
    // left to do and the page cache never holds gigabytes of one backup (raw `rbd export-diff > f; sync`
    // writes everything at the end).
    private const long WritebackStep = 32L << 20;
    private long _writebackFrom;
    private readonly FileStream _file;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _head = new byte[HeaderCapture];
    private int _headLength;
    // Pooled, as the pipe buffer that feeds it (ProcessRunner): one large-object array per image adds up over a job.
    private byte[] _spare = ArrayPool<byte>.Shared.Rent(1 << 20);
    private Task _pending = Task.CompletedTask;
    private long _length;
    private byte _lastByte;

    public HashingFileSink(string path)
    {
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
            BufferSize = 0, Options = FileOptions.Asynchronous,
        });
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken ct = default)
    {
        if (chunk.IsEmpty) return;
        _sha.AppendData(chunk.Span);
        if (_headLength < HeaderCapture)
        {
            var n = Math.Min(HeaderCapture - _headLength, chunk.Length);
            chunk.Span[..n].CopyTo(_head.AsSpan(_headLength));
            _headLength += n;
        }
        _lastByte = chunk.Span[^1];
        _length += chunk.Length;
        await _pending.ConfigureAwait(false);
        if (_spare.Length < chunk.Length)
        {
            ArrayPool<byte>.Shared.Return(_spare);
            _spare = ArrayPool<byte>.Shared.Rent(chunk.Length);
        }
        chunk.CopyTo(_spare);
        _pending = WriteAndKickAsync(chunk.Length, ct);
    }

    private async Task WriteAndKickAsync(int length, CancellationToken ct)
    {
        await _file.WriteSlicedAsync(_spare.AsMemory(0, length), ct).ConfigureAwait(false);
        var written = _file.Position;
        if (written - _writebackFrom >= WritebackStep)
        {
            Posix.StartWriteback(_file.SafeFileHandle, _writebackFrom, written - _writebackFrom);
            _writebackFrom = written;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Waits for the last write, fsyncs the file and returns what was written.</summary>
    public async Task<WrittenFile> CompleteAsync()
    {
        await _pending.ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        DiffHeader.TryParse(_head.AsSpan(0, _headLength), out var header);
        return new WrittenFile(_length, Convert.ToHexStringLower(_sha.GetHashAndReset()), header, _length > 0 && _lastByte == (byte)'e');
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { _pending.GetAwaiter().GetResult(); } catch (IOException) { } // the failure was already reported by WriteAsync/CompleteAsync
            _file.Dispose();
            _sha.Dispose();
            if (_spare.Length > 0) ArrayPool<byte>.Shared.Return(_spare);
            _spare = [];
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <param name="Header">Null if the stream did not start like a diff v1 stream.</param>
/// <param name="EndsWithEndTag">The last byte is the diff's 'e' record: the stream was not cut short.</param>
public sealed record WrittenFile(long SizeBytes, string Sha256, DiffHeader? Header, bool EndsWithEndTag);
