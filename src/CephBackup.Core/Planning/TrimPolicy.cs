namespace CephBackup.Core.Planning;

/// <summary>A snapshot of the image, as rbd snap ls lists it.</summary>
public sealed record SnapInfo(string Name, bool Protected);

public enum SnapAction { Keep, Delete }

/// <param name="Own">The name is exactly this job's <c>prefix-NNNNNN-NNNNNN</c>.</param>
/// <param name="Protected">Kept only because it is protected (worth reporting: it will never be trimmed).</param>
public sealed record SnapDecision(string Name, SnapAction Action, bool Own, string Reason, bool Protected = false)
{
    public override string ToString() => $"{Name}: {Action.ToString().ToLowerInvariant()} ({Reason})";
}

/// <param name="Decisions">Snapshots to delete first (orphans, then oldest first), then those kept, in creation order.</param>
public sealed record TrimPlan(IReadOnlyList<SnapDecision> Decisions, IReadOnlyList<string> Warnings)
{
    public IEnumerable<SnapDecision> ToDelete => Decisions.Where(d => d.Action == SnapAction.Delete);
}

/// <summary>
/// Which of one image's snapshots <c>trimsnap</c> removes, as a pure function. Only this job's exact names
/// are candidates (the Python successor matched a bare prefix, so job "BK" trimmed job "BK01"); protected
/// snapshots and the bases of the next diff are kept whatever max-snaps says; snapshots without a recorded
/// point (left by failed runs) go first and do not count toward max-snaps.
/// </summary>
public static class TrimPolicy
{
    /// <param name="snapshots">In creation order (snapshot id).</param>
    /// <param name="recorded">(chain, point) of this job's restore points of this image with status ok or unverified.</param>
    public static TrimPlan Plan(IReadOnlyList<SnapInfo> snapshots, string prefix, IReadOnlyCollection<(int Chain, int Point)> recorded,
        BackupMode mode, int? maxSnaps)
    {
        var warnings = new List<string>();
        var keepCount = maxSnaps ?? 0;
        if (keepCount < 1)
        {
            warnings.Add($"max-snaps = {(maxSnaps?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "NULL")} is below 1: keeping 1 (the next backup needs its base)");
            keepCount = 1;
        }

        var recordedSet = recorded.ToHashSet();
        var anchors = new Dictionary<(int, int), string>();
        if (recordedSet.Count > 0)
        {
            var chain = recordedSet.Max(r => r.Chain);
            var newest = recordedSet.Where(r => r.Chain == chain).Max(r => r.Point);
            anchors[(chain, newest)] = "base of the next incremental (newest recorded point)";
            if (mode == BackupMode.Differential && recordedSet.Contains((chain, 0)))
                anchors.TryAdd((chain, 0), "base of the next differential (full of the current chain)");
        }

        var decisions = new Dictionary<string, SnapDecision>();
        var orphans = new HashSet<string>();
        var counted = 0;
        // Newest first, so "the newest max-snaps" is a running count.
        for (var i = snapshots.Count - 1; i >= 0; i--)
        {
            var s = snapshots[i];
            if (!SnapshotNames.TryParse(prefix, s.Name, out var c, out var p))
            {
                decisions[s.Name] = new(s.Name, SnapAction.Keep, false, $"not made by this job (prefix {prefix})");
                continue;
            }
            var isRecorded = recordedSet.Contains((c, p));
            if (isRecorded) counted++;
            else if (!s.Protected) orphans.Add(s.Name);
            decisions[s.Name] = s switch
            {
                { Protected: true } => new(s.Name, SnapAction.Keep, true, "protected (unprotect it to let trimsnap remove it)", Protected: true),
                _ when anchors.TryGetValue((c, p), out var why) => new(s.Name, SnapAction.Keep, true, why),
                _ when !isRecorded => new(s.Name, SnapAction.Delete, true, "no restore point recorded (left by a failed run)"),
                _ when counted <= keepCount => new(s.Name, SnapAction.Keep, true, $"newest {keepCount} (max-snaps): {counted}"),
                _ => new(s.Name, SnapAction.Delete, true, $"older than the newest {keepCount} (max-snaps)"),
            };
        }

        var inOrder = snapshots.Select(s => decisions[s.Name]).ToList();
        var deleteOrder = inOrder.Where(d => d.Action == SnapAction.Delete).OrderBy(d => orphans.Contains(d.Name) ? 0 : 1);
        return new TrimPlan([.. deleteOrder, .. inOrder.Where(d => d.Action == SnapAction.Keep)], warnings);
    }
}
