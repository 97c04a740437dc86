namespace CephBackup.Core.Jobs;

/// <summary>
/// How far one image's export is: bytes of the <c>rbd export-diff</c> stream taken so far (before any
/// compression). Sent once when the export starts, at most every <see cref="ProgressStream.Interval"/> while
/// it runs, and once with <see cref="Done"/> when it ends, successfully or not. A struct: reports cost no allocation.
/// </summary>
/// <param name="Image">The <c>vms.image</c> value, printable.</param>
public readonly record struct ExportProgress(string Job, string Vm, string Image, long Bytes, bool Done);

/// <summary>
/// Counts what rbd writes into the point's sink and hands it on unchanged. Reports are synchronous and
/// throttled per image, so the export loop pays one timestamp read per 1 MiB chunk.
/// </summary>
internal sealed class ProgressStream(Stream inner, IProgress<ExportProgress> progress, ExportProgress identity, TimeProvider time) : Stream
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private long _bytes;
    private long _lastReport = time.GetTimestamp();

    /// <summary>The zero-byte report that makes the image show up before its first chunk arrives.</summary>
    public void Start() => progress.Report(identity);

    public void Finish() => progress.Report(identity with { Bytes = _bytes, Done = true });

    // Counted when handed on, not when written: no extra async state machine per chunk, and a count at
    // most one chunk (1 MiB) ahead of the file is as good for a display.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Count(buffer.Length);
        return inner.WriteAsync(buffer, ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Count(count);
        inner.Write(buffer, offset, count);
    }

    private void Count(int n)
    {
        _bytes += n;
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(_lastReport, now) < Interval) return;
        _lastReport = now;
        progress.Report(identity with { Bytes = _bytes });
    }

    public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _bytes;
    public override long Position { get => _bytes; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
