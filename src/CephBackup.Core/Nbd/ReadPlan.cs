namespace CephBackup.Core.Nbd;

/// <summary>How one READ is answered: runs of data and, where allowed, runs of zeroes sent as holes.</summary>
internal static class ReadPlan
{
    /// <param name="IsHole">Reads as zeroes (a hole or a 'z' record): sent as OFFSET_HOLE without bytes.</param>
    public readonly record struct Segment(long Offset, long Length, bool IsHole)
    {
        /// <summary>Chunk header (20) + offset (8) + data, or + hole size (4).</summary>
        public long WireBytes => IsHole ? 32 : 28 + Length;
    }

    /// <param name="holes">False without structured replies or with DF: everything is one data run.</param>
    public static List<Segment> For(ExtentIndex index, long offset, long length, bool holes)
    {
        var segments = new List<Segment>();
        if (length == 0) return segments;
        if (!holes) return [new Segment(offset, length, false)];
        foreach (var e in index.Range(offset, length))
        {
            var hole = e.Kind != ExtentKind.Data;
            if (segments.Count > 0 && segments[^1].IsHole == hole)
                segments[^1] = segments[^1] with { Length = segments[^1].Length + e.Length };
            else
                segments.Add(new Segment(e.Offset, e.Length, hole));
        }
        return segments;
    }
}
