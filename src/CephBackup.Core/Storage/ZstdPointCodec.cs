namespace CephBackup.Core.Storage;

/// <summary>
/// A point stored as <c>&lt;point&gt;.zst</c>: independent zstd frames of at most <see cref="FrameSize"/> bytes of
/// the diff stream each, then a seek table in the zstd seekable format (a skippable frame that plain
/// <c>zstd -d</c> ignores), so <c>zstd -dc 000003.zst | rbd import-diff - img</c> restores by hand.
/// </summary>
public sealed class ZstdPointCodec : IPointCodec
{
    /// <summary>Uncompressed bytes per frame: the most a random read has to decode.</summary>
    public const int FrameSize = 4 << 20;
    public const string Extension = ".zst";
    public const int DefaultLevel = 3;
    public const int MinLevel = 1, MaxLevel = 19;

    public ZstdPointCodec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        Level = level;
    }

    public int Level { get; }

    public PointFormat Format => PointFormat.Zstd;

    public string StoredPath(string pointFile) => pointFile + Extension;

    public IPointSink CreateSink(string storedPartialPath) => new ZstdPointSink(storedPartialPath, Level);

    public Stream OpenDiffStream(Stream stored, bool leaveOpen = false) => new ZstdDiffStream(stored, leaveOpen);

    public IDiffRandomAccess OpenRandomAccess(string storedPath) => new ZstdRandomAccess(storedPath);

    public override string ToString() => $"zstd:{Level}";
}
