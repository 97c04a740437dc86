using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Storage;
using Serilog;

namespace CephBackup.Core.Jobs;

public enum UndoOutcome { Removed, RecordedAfterAll, LeftForNextRun }

/// <summary>
/// What a point that did not finish leaves behind: the one place that decides it. The rules, in order:
/// <list type="number">
/// <item>The catalog row decides whether a point exists. When the COMMIT's outcome is unknown, the row is
/// re-read first; a point whose row exists is never touched. If it cannot be re-read, nothing is touched.</item>
/// <item>Only the holder of the job lock deletes: without proof that this run still holds it, another run
/// may own the same names by now, so nothing is touched.</item>
/// <item>Otherwise the point's files and the snapshot this run created are removed, never a snapshot that a
/// recorded point references.</item>
/// </list>
/// Whatever is left is a leftover the next run adopts (whole, checksummed, with its snapshot) or removes.
/// </summary>
public sealed class PointUndo(ICatalog catalog, IRbd rbd, ILogger log)
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(2);

    public async Task<(UndoOutcome Outcome, string Detail)> UndoAsync(JobSettings job, ImagePlan plan, IJobLock fence,
        bool snapshotCreated, bool outcomeUnknown)
    {
        // Runs after a cancellation too: it needs its own deadline, not the run's token.
        using var cts = new CancellationTokenSource(Budget);
        var ct = cts.Token;
        if (outcomeUnknown)
        {
            try
            {
                var rows = await catalog.GetPointsAsync(job.Id, null, plan.Target.ImageName, ct);
                if (rows.Any(p => p.Chain == plan.Point.Chain && p.Point == plan.Point.Point))
                    return (UndoOutcome.RecordedAfterAll, "the catalog write went through after all");
            }
            catch (Exception e) when (e is CephBackupException or OperationCanceledException)
            {
                return Left($"the catalog cannot say whether {plan.Point.RestorePoint} was recorded ({e.Message})", plan);
            }
        }
        bool held;
        try { held = await fence.StillHeldAsync(ct); }
        catch (Exception e) when (e is CephBackupException or OperationCanceledException) { held = false; }
        if (!held) return Left("this run no longer holds the job lock", plan);

        var problems = new List<string>();
        try { PointFiles.DeleteAll(plan.PointFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems.Add($"files: {e.Message}"); }
        if (snapshotCreated && !plan.RecordedSnapshots.Contains(plan.Snapshot))
        {
            try { await rbd.SnapRemoveAsync(plan.Target.Ref, plan.Snapshot, ct); }
            catch (RbdException e) when (e.IsNotFound) { } // the create never happened (cancelled while it was sent)
            catch (Exception e) when (e is CephBackupException or OperationCanceledException) { problems.Add($"snapshot {plan.Snapshot}: {e.Message}"); }
        }
        if (problems.Count == 0) return (UndoOutcome.Removed, "its files and snapshot were removed");
        var detail = "could not remove " + string.Join("; ", problems) + " (the next run removes them)";
        log.Warning("{Vm}/{Image} {RestorePoint}: {Detail}", plan.Target.Vm, plan.Target.ImageName, plan.Point.RestorePoint, detail);
        return (UndoOutcome.LeftForNextRun, detail);
    }

    private (UndoOutcome, string) Left(string why, ImagePlan plan)
    {
        var detail = $"{why}: its files and snapshot were left for the next run, which adopts or removes them";
        log.Warning("{Vm}/{Image} {RestorePoint}: {Detail}", plan.Target.Vm, plan.Target.ImageName, plan.Point.RestorePoint, detail);
        return (UndoOutcome.LeftForNextRun, detail);
    }
}
