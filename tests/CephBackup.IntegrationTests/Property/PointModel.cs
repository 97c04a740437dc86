namespace CephBackup.IntegrationTests.Property;

/// <summary>What the test knows about a listed point: the sha256 of its source snapshot, taken right after the exec that made it.</summary>
public sealed record KnownPoint(ListedPoint Listed, string SourceSha256, int RecordedBy);

/// <summary>What the last step was allowed to change in the list.</summary>
public enum StepKind { Exec, KilledExec, Retention, Other }

/// <summary>
/// The model the list is checked against after every step: which points exist and what each must restore
/// to, the current content of each image (so a new point is compared with the disk as it was, not only with
/// a snapshot the tool itself chose), and which files the test damaged.
/// </summary>
public sealed class PointModel(Scenario scenario)
{
    public Dictionary<(string Image, string RestorePoint), KnownPoint> Points { get; } = [];
    /// <summary>sha256 of each image's current content (it changes only through the test's writes).</summary>
    public Dictionary<string, string> Head { get; } = [];
    /// <summary>Points whose file the test deleted or changed, with what it did.</summary>
    public Dictionary<(string Image, string RestorePoint), string> Damaged { get; } = [];

    /// <summary>
    /// A damaged point, or one whose restore needs a damaged file: the full of its chain, and for an
    /// incremental every earlier point of the chain.
    /// </summary>
    public bool Tainted(ListedPoint p) => Damaged.Keys.Any(d =>
        d.Image == p.Image && int.Parse(d.RestorePoint[..6]) == p.Chain && int.Parse(d.RestorePoint[7..]) is var dp &&
        (dp == p.Point || dp == 0 || (p.Type == "incremental" && dp < p.Point)));

    /// <summary>Checks the list against the model and the step; returns the points the step added (to be hashed and recorded).</summary>
    public List<ListedPoint> Reconcile(IReadOnlyList<ListedPoint> before, IReadOnlyList<ListedPoint> now, StepKind step, bool plainExecOk)
    {
        var dup = now.GroupBy(p => p.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new PropertyViolation($"list shows {dup.Key.Image} {dup.Key.RestorePoint} {dup.Count()} times");
        foreach (var p in now)
        {
            if (p.Job != PropertyWorld.Job || p.Status != "ok" || p.Sha256 is null || p.Type is not ("full" or "incremental" or "differential"))
                throw new PropertyViolation($"unexpected list entry {p}");
            if (Points.TryGetValue(p.Key, out var k) && k.Listed.Sha256 != p.Sha256)
                throw new PropertyViolation($"{p.Image} {p.RestorePoint} changed its recorded sha256 from {k.Listed.Sha256} to {p.Sha256}");
        }

        var nowKeys = now.Select(p => p.Key).ToHashSet();
        var gone = before.Where(p => !nowKeys.Contains(p.Key)).ToList();
        if (gone.Count > 0) CheckGone(before, now, gone, step);
        foreach (var g in gone)
        {
            Points.Remove(g.Key);
            Damaged.Remove(g.Key);
        }

        var added = now.Where(p => !Points.ContainsKey(p.Key)).ToList();
        if (added.Count > 0 && step is not (StepKind.Exec or StepKind.KilledExec))
            throw new PropertyViolation($"points appeared without an exec: {string.Join(", ", added.Select(a => $"{a.Image} {a.RestorePoint}"))}");
        foreach (var img in added.GroupBy(a => a.Image))
        {
            if (img.Count() > 1) throw new PropertyViolation($"one exec added {img.Count()} points to {img.Key}");
            CheckSuccessor(before.Where(p => p.Image == img.Key).ToList(), img.Single());
        }
        if (plainExecOk)
        {
            var missing = Head.Keys.Where(i => added.All(a => a.Image != i)).ToList();
            if (missing.Count > 0) throw new PropertyViolation($"exec exited 0 but made no point of {string.Join(", ", missing)}");
        }
        return added;
    }

    /// <summary>Only retention removes points, whole chains at a time, never the chain the next backup continues.</summary>
    private static void CheckGone(IReadOnlyList<ListedPoint> before, IReadOnlyList<ListedPoint> now, List<ListedPoint> gone, StepKind step)
    {
        var names = string.Join(", ", gone.Select(g => $"{g.Image} {g.RestorePoint}"));
        if (step != StepKind.Retention) throw new PropertyViolation($"points vanished from the list: {names}");
        foreach (var g in gone)
        {
            if (now.Any(p => p.Image == g.Image && p.Chain == g.Chain))
                throw new PropertyViolation($"retention removed part of chain {g.Chain:D6} of {g.Image}: {names}");
            if (g.Chain == before.Where(p => p.Image == g.Image).Max(p => p.Chain))
                throw new PropertyViolation($"retention removed the newest chain {g.Chain:D6} of {g.Image} (the one the next backup continues)");
        }
    }

    /// <summary>A new point continues the newest chain (next number, within max_inc, of the job's mode) or starts a higher one with a full.</summary>
    private void CheckSuccessor(List<ListedPoint> previous, ListedPoint p)
    {
        var lastChain = previous.Count == 0 ? 0 : previous.Max(q => q.Chain);
        var lastPoint = previous.Where(q => q.Chain == lastChain).Select(q => q.Point).DefaultIfEmpty(-1).Max();
        var diffType = scenario.Mode == "differential" ? "differential" : "incremental";
        var ok = p.Chain == lastChain
            ? p.Point == lastPoint + 1 && p.Point <= scenario.MaxInc && p.Type == diffType
            : p.Chain > lastChain && p.Point == 0 && p.Type == "full";
        if (!ok) throw new PropertyViolation($"new point {p.Image} {p.RestorePoint} ({p.Type}) does not follow {lastChain:D6}-{lastPoint:D6} (max_inc {scenario.MaxInc}, {scenario.Mode})");
        if (Tainted(p))
            throw new PropertyViolation($"new point {p.Image} {p.RestorePoint} depends on a file the test damaged ({string.Join(", ", Damaged.Select(d => $"{d.Key.RestorePoint}: {d.Value}"))}): it can never restore");
    }
}
