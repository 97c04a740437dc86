namespace CephBackup.Core.Planning;

/// <summary>One chain of one image as retention sees it.</summary>
/// <param name="HasSuccessfulFull">The catalog holds its full (point 0) with status ok or unverified.</param>
/// <param name="PointCount">Recorded points of the chain (0 for a folder the catalog does not know).</param>
/// <param name="IsCurrent">The chain the next backup continues (the newest chain with recorded points).</param>
public sealed record ChainInfo(int Chain, bool HasSuccessfulFull, int PointCount, bool IsCurrent);

public enum ChainAction { Keep, Delete }

public sealed record ChainDecision(int Chain, ChainAction Action, string Reason)
{
    public override string ToString() => $"{Chain:D6}: {Action.ToString().ToLowerInvariant()} ({Reason})";
}

/// <summary>
/// Which chain folders of one image retention keeps, as a pure function (after restic's ApplyPolicy):
/// the newest <c>retention</c> chains holding a successful full are kept, and so is everything newer than
/// the oldest of them, so a failed or still-running chain is never what pushes a good one out.
/// Only chains older than all kept ones can go, and only once <c>retention</c> good chains exist.
/// </summary>
public static class RetentionPolicy
{
    /// <summary>Throws a configuration error for NULL, 0 or negative: the PHP tool read those as "delete every chain".</summary>
    public static int Validate(int? retention) => retention is { } r and >= 1
        ? r
        : throw new CephBackupException(ExitCode.ConfigError,
            $"retention = {(retention?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "NULL")} is not a number of chains to keep (>= 1); nothing deleted");

    public static IReadOnlyList<ChainDecision> Apply(IReadOnlyCollection<ChainInfo> chains, int? retention)
    {
        var keepCount = Validate(retention);
        var newestFirst = chains.OrderByDescending(c => c.Chain).ToList();
        if (newestFirst.Select(c => c.Chain).Distinct().Count() != newestFirst.Count)
            throw new ArgumentException("chain numbers must be unique", nameof(chains));

        var good = newestFirst.Where(c => c.HasSuccessfulFull).Take(keepCount).Select(c => c.Chain).ToList();
        var newestGood = good.Count == 0 ? (int?)null : good[0];
        // Fewer good chains than asked for: nothing is old enough to go.
        var oldestKept = good.Count < keepCount ? (int?)null : good[^1];

        var decisions = new List<ChainDecision>();
        foreach (var c in newestFirst)
        {
            var rank = good.IndexOf(c.Chain);
            var (action, reason) = c switch
            {
                _ when rank >= 0 => (ChainAction.Keep, $"newest chains with a successful full: {rank + 1} of {keepCount}"),
                { IsCurrent: true } => (ChainAction.Keep, "the next backup continues this chain"),
                _ when newestGood is null || c.Chain > newestGood => (ChainAction.Keep, "newer than the newest chain with a successful full (failed or running)"),
                _ when oldestKept is null => (ChainAction.Keep, $"only {good.Count} of {keepCount} chains with a successful full exist"),
                _ when c.Chain > oldestKept => (ChainAction.Keep, $"no successful full, but newer than the oldest kept chain {oldestKept:D6}"),
                { HasSuccessfulFull: true } => (ChainAction.Delete, $"older than the {keepCount} newest chains with a successful full"),
                { PointCount: 0 } => (ChainAction.Delete, $"not in the catalog (no recorded full) and older than the {keepCount} kept chains"),
                _ => (ChainAction.Delete, $"no successful full and older than the {keepCount} kept chains"),
            };
            decisions.Add(new ChainDecision(c.Chain, action, reason));
        }
        return decisions;
    }
}
