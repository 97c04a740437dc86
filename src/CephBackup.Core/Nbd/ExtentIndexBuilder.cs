namespace CephBackup.Core.Nbd;

/// <summary>One data record of an <c>rbd diff v1</c> stream: 'w' (bytes at <paramref name="DataOffset"/> of the stream) or 'z'.</summary>
public readonly record struct DiffRecord(long Offset, long Length, bool IsZero, long DataOffset);

/// <summary>
/// Replays a chain the way <c>rbd import-diff</c> would, but on extents instead of bytes: start with the
/// full, then each diff in order, newest wins. Each file's 's' record resizes the image first (a shrink
/// drops what lies beyond, a grow adds a hole), then its records overwrite what they cover.
/// </summary>
public sealed class ExtentIndexBuilder
{
    private List<Extent> _current = [];
    private long _size;

    public long Size => _size;

    /// <summary>Applies one point file: its image size, then its records in stream order.</summary>
    public void Apply(int file, long imageSize, IReadOnlyList<DiffRecord> records)
    {
        Resize(imageSize);
        // rbd writes records in ascending offset order, so a file is usually one run; a file whose records
        // go back or overlap is applied run by run, which keeps "later record wins" as import-diff does.
        var run = new List<Extent>();
        long runEnd = 0;
        foreach (var r in records)
        {
            if (r.Length == 0) continue;
            if (r.Offset < 0 || r.Length < 0 || r.Offset > _size - r.Length)
                throw new InvalidDataException($"record {r.Offset}+{r.Length} lies outside the image (size {_size})");
            if (run.Count > 0 && r.Offset < runEnd)
            {
                Overlay(run);
                run.Clear();
            }
            run.Add(r.IsZero
                ? new Extent(r.Offset, r.Length, ExtentKind.Zero, -1, -1)
                : new Extent(r.Offset, r.Length, ExtentKind.Data, file, r.DataOffset));
            runEnd = r.Offset + r.Length;
        }
        if (run.Count > 0) Overlay(run);
    }

    public ExtentIndex Build() => new(_size, Coalesce(_current).ToArray());

    private void Resize(long size)
    {
        if (size < 0) throw new InvalidDataException($"negative image size {size}");
        if (size < _size)
        {
            var kept = new List<Extent>(_current.Count);
            foreach (var e in _current)
            {
                if (e.Offset >= size) break;
                kept.Add(e.End <= size ? e : e.Slice(e.Offset, size));
            }
            _current = kept;
        }
        else if (size > _size)
            _current.Add(Extent.Hole(_size, size - _size));
        _size = size;
    }

    /// <summary>Lays <paramref name="newer"/> (sorted, non-overlapping) over the current extents in one merge pass.</summary>
    private void Overlay(List<Extent> newer)
    {
        var result = new List<Extent>(_current.Count + 2 * newer.Count);
        var i = 0;
        var cur = _current;
        Extent? pending = cur.Count > 0 ? cur[0] : null;
        foreach (var n in newer)
        {
            // Older extents wholly before n stay as they are.
            while (pending is { } p && p.End <= n.Offset)
            {
                result.Add(p);
                pending = ++i < cur.Count ? cur[i] : null;
            }
            if (pending is { } head && head.Offset < n.Offset)
                result.Add(head.Slice(head.Offset, n.Offset));
            result.Add(n);
            // Older extents wholly under n vanish; one reaching past n keeps its tail.
            while (pending is { } p && p.End <= n.End)
                pending = ++i < cur.Count ? cur[i] : null;
            if (pending is { } tail && tail.Offset < n.End)
                pending = tail.Slice(n.End, tail.End);
        }
        while (pending is { } p)
        {
            result.Add(p);
            pending = ++i < cur.Count ? cur[i] : null;
        }
        _current = result;
    }

    private static List<Extent> Coalesce(List<Extent> extents)
    {
        var result = new List<Extent>(extents.Count);
        foreach (var e in extents)
        {
            if (result.Count > 0 && result[^1].Continues(e))
                result[^1] = result[^1] with { Length = result[^1].Length + e.Length };
            else
                result.Add(e);
        }
        return result;
    }
}
