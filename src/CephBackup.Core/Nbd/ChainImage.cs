using CephBackup.Core.Jobs;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Nbd;

/// <summary>
/// A restore point as a read-only disk: the plan's files and the extent index built from their record
/// headers. Shared by every reader; each reader opens its own handles, so codecs need not be thread-safe.
/// Once a file is known not to match its recorded sha256 (<see cref="MarkCorrupt"/>), every read fails.
/// </summary>
public sealed class ChainImage
{
    private volatile string? _corruption;

    private ChainImage(RestorePlan plan, IReadOnlyList<string> storedPaths, IReadOnlyList<IPointCodec> codecs, ExtentIndex index)
    {
        Plan = plan;
        StoredPaths = storedPaths;
        Codecs = codecs;
        Index = index;
    }

    public RestorePlan Plan { get; }
    public ExtentIndex Index { get; }
    public long Size => Index.Size;
    /// <summary>The stored file of each plan file (what the sha256 covers).</summary>
    public IReadOnlyList<string> StoredPaths { get; }
    internal IReadOnlyList<IPointCodec> Codecs { get; }

    /// <summary>Null while no file is known to be corrupt; else why reads fail.</summary>
    public string? Corruption => _corruption;

    public void MarkCorrupt(string problem) => _corruption ??= problem;

    /// <summary>Scans every file's record headers (not its data) and builds the index; the size is the plan's.</summary>
    /// <exception cref="CephBackupException">A file is missing or not a whole diff stream.</exception>
    public static ChainImage Open(RestorePlan plan)
    {
        // The passes over the files are independent and, on a cold cache, wait on the disk for each record
        // head: scanning the files side by side shortens the time to the first served byte. The index is
        // then built in chain order, and the first failing file in that order is the one reported.
        var n = plan.Files.Count;
        var scans = new (IPointCodec Codec, string Path, ScannedDiff Scan)?[n];
        var errors = new CephBackupException?[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(n, 1, 8) }, i =>
        {
            try { scans[i] = ScanFile(plan, i); }
            catch (CephBackupException e) { errors[i] = e; }
        });
        var builder = new ExtentIndexBuilder();
        for (var i = 0; i < n; i++)
        {
            if (errors[i] is { } e) throw e;
            builder.Apply(i, scans[i]!.Value.Scan.Header.ImageSize, scans[i]!.Value.Scan.Records);
        }
        var codecs = scans.Select(x => x!.Value.Codec).ToList();
        var stored = scans.Select(x => x!.Value.Path).ToList();
        var index = builder.Build();
        if (index.Size != plan.ImageSizeBytes && plan.ImageSizeBytes > 0)
            throw new CephBackupException(ExitCode.VerificationFailed,
                $"restore point {plan.RestorePoint}: the diffs describe {index.Size} bytes, the catalog records {plan.ImageSizeBytes}");
        return new ChainImage(plan, stored, codecs, index);
    }

    private static (IPointCodec, string, ScannedDiff) ScanFile(RestorePlan plan, int i)
    {
        var f = plan.Files[i];
        var codec = PointCodecs.Find(f.Path)
            ?? throw new CephBackupException(ExitCode.VerificationFailed, $"file {f.Path} of {f.RestorePoint} is missing");
        var path = codec.StoredPath(f.Path);
        try
        {
            using var ra = codec.OpenRandomAccess(path);
            var scan = DiffScanner.Scan(ra);
            if (i > 0 && scan.Header.FromSnap is null)
                throw new InvalidDataException("a diff of the chain has no from-snapshot: it is a full export");
            return (codec, path, scan);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CephBackupException(ExitCode.VerificationFailed, $"file {path} of {f.RestorePoint} cannot be indexed: {e.Message}", e);
        }
    }

    /// <summary>A reader with its own file handles (one per NBD connection, or per writer).</summary>
    public ChainReader OpenReader() => new(this);
}

/// <summary>Reads bytes of a <see cref="ChainImage"/>; not thread-safe (one per connection).</summary>
public sealed class ChainReader : IDisposable
{
    private readonly ChainImage _image;
    private readonly IDiffRandomAccess?[] _files;

    internal ChainReader(ChainImage image)
    {
        _image = image;
        _files = new IDiffRandomAccess?[image.StoredPaths.Count];
    }

    /// <summary>Fills <paramref name="data"/> with the bytes of one Data extent (or a slice of it).</summary>
    /// <exception cref="ChainCorruptException">A file of the chain is known to be corrupt, or ended early.</exception>
    public void ReadExtent(Extent e, Span<byte> data)
    {
        ThrowIfCorrupt();
        if (e.Kind != ExtentKind.Data) { data.Clear(); return; }
        var ra = _files[e.File] ??= _image.Codecs[e.File].OpenRandomAccess(_image.StoredPaths[e.File]);
        var n = ra.ReadAt(e.StreamOffset, data[..(int)e.Length]);
        if (n != e.Length)
            throw new ChainCorruptException($"{_image.StoredPaths[e.File]} ended early ({n} of {e.Length} bytes at {e.StreamOffset}): the file changed");
        // Checked again after the read: a mismatch found while this read ran must not let its data out.
        ThrowIfCorrupt();
    }

    /// <summary>Fills <paramref name="buffer"/> with the image bytes at <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<byte> buffer)
    {
        foreach (var e in _image.Index.Range(offset, buffer.Length))
            ReadExtent(e, buffer.Slice((int)(e.Offset - offset), (int)e.Length));
    }

    public void ThrowIfCorrupt()
    {
        if (_image.Corruption is { } c) throw new ChainCorruptException(c);
    }

    public void Dispose()
    {
        foreach (var f in _files) f?.Dispose();
    }
}

/// <summary>The chain's data cannot be trusted: NBD answers EIO, a file restore stops.</summary>
public sealed class ChainCorruptException(string message) : IOException(message);
