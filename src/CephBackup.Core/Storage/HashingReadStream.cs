using System.Security.Cryptography;

namespace CephBackup.Core.Storage;

/// <summary>
/// The read end of an import: hands the inner stream's bytes on unchanged while hashing them (SHA-256) and
/// counting them, so the bytes rbd actually consumed can be checked against the recorded checksum
/// afterwards. The checksum checked before the import proves the file was good then; this proves the
/// bytes imported were the same ones.
/// </summary>
public sealed class HashingReadStream(Stream inner, Action<long>? onProgress = null, bool leaveOpen = false) : Stream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _atEnd;

    public long BytesRead => _read;

    /// <summary>True once a read returned 0: the whole stream went through the hash.</summary>
    public bool ReachedEnd => _atEnd;

    /// <summary>The hash of everything read so far (lower-case hex); the stream can be read on afterwards.</summary>
    public string CurrentSha256() => Convert.ToHexStringLower(_sha.GetCurrentHash());

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        Account(buffer.Span[..n], buffer.Length);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Account(buffer[..n], buffer.Length);
        return n;
    }

    private void Account(ReadOnlySpan<byte> data, int requested)
    {
        if (data.IsEmpty)
        {
            // A zero-length request also returns 0; only an empty answer to a real request is the end.
            if (requested > 0) _atEnd = true;
            return;
        }
        _sha.AppendData(data);
        _read += data.Length;
        onProgress?.Invoke(_read);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
            if (!leaveOpen) inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _sha.Dispose();
        if (!leaveOpen) await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
