namespace CephBackup.Core.Storage;

/// <summary>How a point's diff stream is stored. Plain is the raw <c>rbd diff v1</c> stream the PHP tool wrote.</summary>
public enum PointFormat { Plain, Zstd }

public static class PointFormats
{
    /// <summary>The spelling in the catalog (<c>cephbackup_points.format</c>) and in the sidecar (<c>format</c>).</summary>
    public static string ToDb(this PointFormat f) => f == PointFormat.Zstd ? "zstd" : "plain";
}

/// <summary>
/// The one seam between point files and everything that writes or reads them (export, restore, verify,
/// catalog import, planning's base checks, mount). Callers speak of a point by its plain path
/// (<c>.../000001/000003</c>); the codec says where its bytes are stored and turns them into the diff stream.
/// </summary>
public interface IPointCodec
{
    PointFormat Format { get; }

    /// <summary>The stored file of the point whose plain path is <paramref name="pointFile"/>.</summary>
    string StoredPath(string pointFile);

    /// <summary>The write end of a new point: rbd's diff stream goes in, the stored bytes go to <paramref name="storedPartialPath"/> (created new).</summary>
    IPointSink CreateSink(string storedPartialPath);

    /// <summary>The diff stream of a stored file, read front to back; <paramref name="stored"/> yields the stored bytes.</summary>
    Stream OpenDiffStream(Stream stored, bool leaveOpen = false);

    /// <summary>Random access to the diff stream of a stored file: reaching any byte costs at most one frame.</summary>
    IDiffRandomAccess OpenRandomAccess(string storedPath);
}

/// <summary>The write end of one export.</summary>
public interface IPointSink : IAsyncDisposable
{
    /// <summary>What <c>rbd export-diff</c> writes into.</summary>
    Stream Input { get; }

    /// <summary>Flushes and fsyncs the stored file; returns what was written.</summary>
    Task<WrittenPoint> CompleteAsync();
}

/// <param name="StoredBytes">Size of the file on disk (what verify re-reads).</param>
/// <param name="StoredSha256">sha256 of the file on disk (the <c>.sha256</c> sidecar).</param>
/// <param name="StreamBytes">Size of the diff stream rbd produced.</param>
/// <param name="StreamSha256">sha256 of the diff stream rbd produced (equal to the stored one for plain points).</param>
/// <param name="Header">Null if the stream did not start like a diff v1 stream.</param>
/// <param name="EndsWithEndTag">The stream's last byte is the 'e' record: it was not cut short.</param>
public sealed record WrittenPoint(long StoredBytes, string StoredSha256, long StreamBytes, string StreamSha256,
    DiffHeader? Header, bool EndsWithEndTag);

/// <summary>Positional reads of a diff stream (the NBD server's extent index points into it).</summary>
public interface IDiffRandomAccess : IDisposable
{
    long StreamLength { get; }

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="streamOffset"/>; fewer only at the end.</summary>
    int ReadAt(long streamOffset, Span<byte> buffer);
}

/// <summary>The codecs, and which one stored a given point.</summary>
public static class PointCodecs
{
    public static IPointCodec Plain { get; } = new PlainPointCodec();

    /// <summary>
    /// The codec of an existing point, found by which file exists (the plain name first, as the PHP tool
    /// wrote it); null when neither does. A chain may mix both (the job's compression changed mid-chain).
    /// </summary>
    public static IPointCodec? Find(string pointFile) =>
        File.Exists(Plain.StoredPath(pointFile)) ? Plain
        : File.Exists(pointFile + ZstdPointCodec.Extension) ? new ZstdPointCodec()
        : null;

    /// <summary>The stored file of an existing point (plain or <c>.zst</c>), or null when neither exists.</summary>
    public static string? FindStored(string pointFile) => Find(pointFile)?.StoredPath(pointFile);

    /// <summary>
    /// The codec new points of a job are written with, from <c>backup_jobs.compression</c>: NULL, empty or
    /// <c>none</c> (plain, readable by the PHP tool), <c>zstd</c> (level 3) or <c>zstd:N</c> (N = 1..19).
    /// </summary>
    /// <exception cref="FormatException">Any other value (a configuration error of that job).</exception>
    public static IPointCodec ForJob(string? compression)
    {
        var s = compression?.Trim().ToLowerInvariant();
        if (s is null or "" or "none") return Plain;
        if (s == "zstd") return new ZstdPointCodec();
        if (System.Text.RegularExpressions.Regex.Match(s, @"\Azstd:([0-9]{1,2})\z") is { Success: true } m
            && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is var level
            && level is >= ZstdPointCodec.MinLevel and <= ZstdPointCodec.MaxLevel)
            return new ZstdPointCodec(level);
        throw new FormatException($"compression '{CephBackup.Core.Ceph.Names.Printable(compression)}' is not none, zstd or zstd:N with N from {ZstdPointCodec.MinLevel} to {ZstdPointCodec.MaxLevel}");
    }
}

/// <summary>The raw <c>rbd diff v1</c> stream, byte for byte: readable by the PHP tool and by <c>rbd import-diff</c>.</summary>
internal sealed class PlainPointCodec : IPointCodec
{
    public PointFormat Format => PointFormat.Plain;

    public string StoredPath(string pointFile) => pointFile;

    public IPointSink CreateSink(string storedPartialPath) => new PlainSink(new HashingFileSink(storedPartialPath));

    public Stream OpenDiffStream(Stream stored, bool leaveOpen = false) =>
        leaveOpen ? new NonClosingStream(stored) : stored;

    public IDiffRandomAccess OpenRandomAccess(string storedPath) => new PlainRandomAccess(storedPath);

    private sealed class PlainSink(HashingFileSink sink) : IPointSink
    {
        public Stream Input => sink;

        public async Task<WrittenPoint> CompleteAsync()
        {
            var w = await sink.CompleteAsync();
            return new WrittenPoint(w.SizeBytes, w.Sha256, w.SizeBytes, w.Sha256, w.Header, w.EndsWithEndTag);
        }

        public ValueTask DisposeAsync() => sink.DisposeAsync();
    }

    private sealed class PlainRandomAccess : IDiffRandomAccess
    {
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;

        public PlainRandomAccess(string path)
        {
            _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
            StreamLength = RandomAccess.GetLength(_handle);
        }

        public long StreamLength { get; }

        public int ReadAt(long streamOffset, Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = RandomAccess.Read(_handle, buffer[total..], streamOffset + total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        public void Dispose() => _handle.Dispose();
    }
}

/// <summary>Hands reads through but leaves the inner stream open on dispose.</summary>
internal sealed class NonClosingStream(Stream inner) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
