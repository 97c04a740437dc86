namespace CephBackup.Core.Nbd;

/// <summary>What a range of the image reads as.</summary>
public enum ExtentKind : byte
{
    /// <summary>Never written in the chain (unallocated in the snapshot): reads as zeroes.</summary>
    Hole,
    /// <summary>A 'z' record: zeroed or discarded in a later snapshot, reads as zeroes.</summary>
    Zero,
    /// <summary>A 'w' record: the bytes are in a point file's diff stream.</summary>
    Data,
}

/// <param name="File">Index of the point file in the chain (0 = the full); -1 unless <see cref="Kind"/> is Data.</param>
/// <param name="StreamOffset">Where the extent's first byte lies in that file's diff stream; -1 unless Data.</param>
public readonly record struct Extent(long Offset, long Length, ExtentKind Kind, int File, long StreamOffset)
{
    public long End => Offset + Length;

    public static Extent Hole(long offset, long length) => new(offset, length, ExtentKind.Hole, -1, -1);

    /// <summary>The part of this extent from <paramref name="from"/> to <paramref name="to"/> (both inside it).</summary>
    public Extent Slice(long from, long to) =>
        new(from, to - from, Kind, File, Kind == ExtentKind.Data ? StreamOffset + (from - Offset) : -1);

    /// <summary>True when <paramref name="next"/> continues this extent seamlessly (same kind, same file, adjacent bytes).</summary>
    public bool Continues(Extent next) =>
        next.Offset == End && next.Kind == Kind &&
        (Kind != ExtentKind.Data || (next.File == File && next.StreamOffset == StreamOffset + Length));
}

/// <summary>
/// Where every byte of a restore point lives: sorted, non-overlapping extents that cover the image from 0
/// to <see cref="Size"/> exactly. Immutable, so any number of NBD connections share one. Memory is one
/// 32-byte struct per extent and does not depend on the image size.
/// </summary>
public sealed class ExtentIndex
{
    private readonly Extent[] _extents;

    internal ExtentIndex(long size, Extent[] extents)
    {
        Size = size;
        _extents = extents;
    }

    public long Size { get; }
    public int Count => _extents.Length;
    public Extent this[int i] => _extents[i];
    public IReadOnlyList<Extent> Extents => _extents;

    /// <summary>Bytes held by the index itself (the array of extents).</summary>
    public long MemoryBytes => (long)_extents.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<Extent>();

    /// <summary>Index of the extent containing <paramref name="offset"/> (0 ≤ offset &lt; Size).</summary>
    public int Find(long offset)
    {
        if (offset < 0 || offset >= Size) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"outside the image (size {Size})");
        int lo = 0, hi = _extents.Length - 1;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (_extents[mid].Offset <= offset) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>The extents covering [offset, offset+length), cut to that range.</summary>
    public IEnumerable<Extent> Range(long offset, long length)
    {
        if (length <= 0) yield break;
        var end = offset + length;
        for (var i = Find(offset); i < _extents.Length && _extents[i].Offset < end; i++)
        {
            var e = _extents[i];
            yield return e.Slice(Math.Max(e.Offset, offset), Math.Min(e.End, end));
        }
    }

    /// <summary>Bytes that read from point files (the rest is holes and zeroes).</summary>
    public long DataBytes => _extents.Where(e => e.Kind == ExtentKind.Data).Sum(e => e.Length);
}
