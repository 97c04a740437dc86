using CephBackup.Core.Catalog;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Planning;

/// <summary>What a point file found on disk is, as a diff: a full, or a diff from <see cref="BasePoint"/>.</summary>
public sealed record PointShape(PointType Type, int? BasePoint);

/// <param name="Shape">Null when the file must not be imported.</param>
/// <param name="Problem">Why not, when <see cref="Shape"/> is null.</param>
public sealed record Classification(PointShape? Shape, string? Problem)
{
    public static Classification Ok(PointType type, int? basePoint) => new(new PointShape(type, basePoint), null);
    public static Classification Reject(string problem) => new(null, problem);
}

/// <summary>
/// Pure rules of <c>catalog import</c>: what a point file is, from its diff header (PHP era) or its
/// sidecar (written by exec), and whether it can be restored given the points already available.
/// </summary>
public static class ImportClassifier
{
    /// <summary>
    /// A PHP-era file: point 0 must be a full of <c>prefix-chain-000000</c>; point n a diff to
    /// <c>prefix-chain-n</c> from either the previous point (incremental) or, for n &gt; 1, the chain's full
    /// (differential). Any other snapshot name means the file is not what its place in the tree says.
    /// </summary>
    public static Classification FromHeader(string prefix, int chain, int point, DiffHeader header)
    {
        var expectedTo = SnapshotNames.Of(prefix, chain, point);
        if (header.ToSnap != expectedTo)
            return Classification.Reject($"diff is to snapshot '{header.ToSnap ?? "(none)"}', expected '{expectedTo}'");
        if (point == 0)
            return header.FromSnap is null
                ? Classification.Ok(PointType.Full, null)
                : Classification.Reject($"point 000000 must be a full, but the diff starts from '{header.FromSnap}'");
        if (header.FromSnap is null)
            return Classification.Reject($"point {point:D6} is a full diff; only point 000000 of a chain may be a full");
        if (point > 1 && header.FromSnap == SnapshotNames.Of(prefix, chain, 0))
            return Classification.Ok(PointType.Differential, 0);
        var previous = SnapshotNames.Of(prefix, chain, point - 1);
        return header.FromSnap == previous
            ? Classification.Ok(PointType.Incremental, point - 1)
            : Classification.Reject($"diff starts from '{header.FromSnap}', expected '{previous}'" +
                                    (point > 1 ? $" or '{SnapshotNames.Of(prefix, chain, 0)}'" : ""));
    }

    /// <summary>An exec-written file: the sidecar must describe this very point and agree with the .sha256 file.</summary>
    public static Classification FromSidecar(PointSidecar? meta, string? shaFile, string job, string vm, string image, int chain, int point)
    {
        if (meta is null || shaFile is null)
            return Classification.Reject(meta is null ? "sidecar .json missing or unreadable (.sha256 present)" : "sidecar .sha256 missing or malformed (.json present)");
        if (meta.Job != job || meta.Vm != vm || meta.Image != image || meta.Chain != chain || meta.Point != point)
            return Classification.Reject($"sidecar describes {meta.Job}/{meta.Vm}/{meta.Image} {meta.Chain:D6}-{meta.Point:D6}, not this file");
        if (!string.Equals(meta.Sha256, shaFile, StringComparison.Ordinal))
            return Classification.Reject("sidecars disagree: .json and .sha256 hold different checksums");
        PointType type;
        try { type = PointTypes.FromDb(meta.Type); }
        catch (FormatException e) { return Classification.Reject("sidecar: " + e.Message); }
        var consistent = type == PointType.Full
            ? point == 0 && meta.BasePoint is null
            : point > 0 && meta.BasePoint is { } b && b >= 0 && b < point;
        if (!consistent)
            return Classification.Reject($"sidecar type {meta.Type} with base {meta.BasePoint?.ToString("D6") ?? "(none)"} is impossible at point {point:D6}");
        return Classification.Ok(type, meta.BasePoint);
    }

    /// <summary>
    /// A diff restores only on top of its base: importing one whose base is neither in the catalog nor
    /// imported in this run would list a restore point that cannot be restored.
    /// </summary>
    /// <param name="available">Points of this chain that are restorable (catalog ok/unverified, or just imported).</param>
    public static string? MissingBase(PointShape shape, IReadOnlySet<int> available) =>
        shape.BasePoint is { } b && !available.Contains(b)
            ? $"its base point {b:D6} is neither in the catalog nor importable"
            : null;

    /// <summary>Point files are named by exactly six digits; .partial, .sha256, .json and anything else is not a point.</summary>
    public static bool IsPointFileName(string name) => name.Length == 6 && name.All(char.IsAsciiDigit);
}
