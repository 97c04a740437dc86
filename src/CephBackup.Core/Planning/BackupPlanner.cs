using CephBackup.Core.Catalog;

namespace CephBackup.Core.Planning;

public enum BackupMode { Incremental, Differential }

/// <summary>What the next backup of one image will be.</summary>
/// <param name="BasePoint">The point the diff starts from (null for a full).</param>
/// <param name="NewChain">True when this full starts a new chain folder.</param>
public sealed record PointPlan(PointType Type, int Chain, int Point, int? BasePoint, bool NewChain, string Reason)
{
    public string RestorePoint => $"{Chain:D6}-{Point:D6}";
}

/// <summary>
/// The full / incremental / differential decision, as a pure function of what the catalog says.
/// Counters in backup_vms are not trusted for this: the PHP tool advanced them before exporting, so after
/// a failure they point at a snapshot that was never kept.
/// </summary>
public static class BackupPlanner
{
    /// <param name="currentChain">The recorded points of the newest chain of this image (any order), empty if none.</param>
    /// <param name="highestChainSeen">The highest chain number seen anywhere (catalog, backup_vms.full, folders on disk).</param>
    /// <param name="brokenBase">Why the point the next diff depends on cannot be trusted (checked by the caller), or null.</param>
    public static PointPlan Decide(IReadOnlyCollection<BackupPoint> currentChain, int highestChainSeen, int maxInc,
        BackupMode mode, string? brokenBase = null)
    {
        if (maxInc < 0) throw new ArgumentOutOfRangeException(nameof(maxInc), "max_inc must be >= 0");
        var next = Math.Max(highestChainSeen, currentChain.Count == 0 ? 0 : currentChain.Max(p => p.Chain)) + 1;
        PointPlan NewFull(string reason) => new(PointType.Full, next, 0, null, true, reason);

        if (currentChain.Count == 0)
            return NewFull(highestChainSeen == 0 ? "first backup of this image" : "no usable chain recorded: new chain");
        if (maxInc == 0) return NewFull("max_inc = 0: every run is a full in a new chain");

        var chain = currentChain.First().Chain;
        var points = currentChain.Select(p => p.Point).ToHashSet();
        var last = points.Max();
        if (!points.Contains(0)) return NewFull($"chain {chain:D6} has no full: new chain");
        for (var i = 1; i <= last; i++)
            if (!points.Contains(i)) return NewFull($"chain {chain:D6} is missing point {i:D6}: new chain");
        if (last >= maxInc) return NewFull($"rotation: chain {chain:D6} holds max_inc = {maxInc} points after its full");
        if (brokenBase is not null) return NewFull($"{brokenBase}: new chain");

        return mode == BackupMode.Differential
            ? new(PointType.Differential, chain, last + 1, 0, false, $"differential from {chain:D6}-000000")
            : new(PointType.Incremental, chain, last + 1, last, false, $"incremental from {chain:D6}-{last:D6}");
    }

    /// <summary>The points to import, in order, to rebuild <paramref name="target"/>: follows base links back to the full.</summary>
    public static IReadOnlyList<BackupPoint> RestoreSequence(IReadOnlyCollection<BackupPoint> chainPoints, BackupPoint target)
    {
        var byPoint = chainPoints.Where(p => p.Chain == target.Chain).ToDictionary(p => p.Point);
        var seq = new List<BackupPoint>();
        var cur = target;
        while (true)
        {
            seq.Add(cur);
            if (cur.Type == PointType.Full) break;
            var basePoint = cur.BasePoint ?? cur.Point - 1;
            if (basePoint >= cur.Point || !byPoint.TryGetValue(basePoint, out var b))
                // A backup the point needs is missing: that is a failed verification (6), not a typo (5).
                throw new CephBackupException(ExitCode.VerificationFailed,
                    $"restore point {target.RestorePoint} needs {cur.Chain:D6}-{basePoint:D6}, which is not in the catalog");
            cur = b;
        }
        seq.Reverse();
        return seq;
    }
}
