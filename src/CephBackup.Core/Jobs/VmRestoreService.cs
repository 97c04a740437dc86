using System.Collections.Concurrent;
using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record VmRestoreRequest
{
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public required string RestorePoint { get; init; }
    /// <summary>Appended to each disk's image name to make the new name.</summary>
    public required string Suffix { get; init; }
    /// <summary>Target pool of every disk; null = each source image's pool.</summary>
    public string? Pool { get; init; }
    public bool ForceUnverified { get; init; }
}

/// <summary>
/// <c>cephbackup restore-vm</c>: every disk of a VM at one restore point (the disks of one VM backed up by one
/// run share the chain-point label), in parallel, all or nothing: a disk that lacks the point or a taken name
/// is refused before anything starts, and if one disk fails the others' new images are removed again.
/// </summary>
public sealed class VmRestoreService(ICatalog catalog, RestoreService restore, CephOptions ceph, ILogger log)
{
    /// <summary>One plan per disk, or a refusal naming every disk that cannot be restored. Only reads the catalog.</summary>
    public async Task<IReadOnlyList<RestorePlan>> PlanAsync(VmRestoreRequest req, CancellationToken ct)
    {
        Planning.RestorePoint.Parse(req.RestorePoint);
        if (req.Suffix.Length == 0) throw Invalid("--suffix must not be empty: restore never overwrites the VM's own images");
        var job = await catalog.GetJobByNameAsync(req.Job, ct) ?? throw Invalid($"unknown job '{Names.Printable(req.Job)}'");
        var images = (await catalog.GetJobImagesAsync(job.Id, ct)).Where(l => l.Vm == req.Vm).Select(l => l.Image!)
            .Concat((await catalog.GetPointsAsync(job.Id, req.Vm, null, ct)).Select(p => p.Image))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (images.Count == 0) throw Invalid($"job {job.Name} has no VM '{Names.Printable(req.Vm)}' (see 'cephbackup list')");

        var plans = new List<RestorePlan>();
        var refused = new List<string>();
        foreach (var image in images)
        {
            var name = ImageRef.Parse(image, ceph.Pool).Name + req.Suffix;
            try
            {
                plans.Add(await RestoreSources.FromCatalogAsync(catalog, ceph, new CatalogRestoreRequest
                {
                    Job = req.Job, Image = image, RestorePoint = req.RestorePoint, NewName = name, Pool = req.Pool,
                    ForceUnverified = req.ForceUnverified,
                }, ct));
            }
            catch (CephBackupException e) when (e.Code is ExitCode.InvalidInput or ExitCode.VerificationFailed)
            {
                refused.Add($"{image}: {e.Message}");
            }
        }
        if (refused.Count > 0)
            throw Invalid($"VM {req.Vm} cannot be restored at {req.RestorePoint}, nothing was started: {string.Join("; ", refused)}");
        if (plans.GroupBy(p => p.Target).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw Invalid($"two disks would both be restored into {clash.Key}: use --pool or another --suffix");
        return plans;
    }

    /// <summary>Checks every target, then restores the disks, at most <paramref name="parallelism"/> at a time.</summary>
    /// <exception cref="CephBackupException">The first disk's failure (or 16 when something could not be removed); every new image is gone.</exception>
    public async Task<IReadOnlyList<RestoreResult>> RestoreAsync(IReadOnlyList<RestorePlan> plans, int parallelism, RestoreOptions options,
        IProgress<RestoreProgress>? progress, CancellationToken ct)
    {
        foreach (var p in plans) await restore.CheckTargetAsync(p.Target, ct);
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var done = new ConcurrentDictionary<RestorePlan, RestoreResult>();
        var failures = new ConcurrentQueue<(RestorePlan Plan, Exception Error)>();
        await Parallel.ForEachAsync(plans, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, async (plan, _) =>
        {
            if (failFast.IsCancellationRequested) return;
            try { done[plan] = await restore.RestoreAsync(plan, options, progress, failFast.Token); }
            catch (Exception e) when (e is CephBackupException or OperationCanceledException or IOException)
            {
                failures.Enqueue((plan, e));
                await failFast.CancelAsync();
            }
        });
        if (failures.IsEmpty) return plans.Select(p => done[p]).ToList();
        throw await UndoAsync(plans, done, failures.ToList(), ct.IsCancellationRequested);
    }

    /// <summary>Removes the disks that were finished and builds the one error that describes the whole run.</summary>
    private async Task<Exception> UndoAsync(IReadOnlyList<RestorePlan> plans, ConcurrentDictionary<RestorePlan, RestoreResult> done,
        List<(RestorePlan Plan, Exception Error)> failures, bool cancelled)
    {
        var lines = new List<string>();
        var leftovers = false;
        foreach (var (plan, error) in failures)
        {
            leftovers |= error is CephBackupException { Code: ExitCode.CleanupIncomplete };
            if (error is OperationCanceledException && error is not CancelledException) continue;
            lines.Add($"{plan.Target}: {error.Message}");
        }
        // In parallel: each removal has its own deadline, and the host's termination timeout covers one of them.
        var removals = await Task.WhenAll(plans.Where(done.ContainsKey)
            .Select(p => restore.RemoveOwnImageAsync(p.Target, "restored disk (the VM restore did not complete)")));
        foreach (var c in removals)
        {
            leftovers |= !c.Removed;
            lines.Add(c.Message);
        }
        foreach (var plan in plans.Where(p => !done.ContainsKey(p) && failures.All(f => f.Plan != p)))
            lines.Add($"{plan.Target}: not started");

        var primary = failures.Select(f => f.Error).FirstOrDefault(e => e is not OperationCanceledException);
        var message = $"restore of {plans[0].Source.Split('/')[0]} at {plans[0].RestorePoint} {(cancelled || primary is null ? "was cancelled" : "failed")}; " +
                      string.Join("; ", lines);
        log.Error("{Message}", message);
        if (leftovers) return new CephBackupException(ExitCode.CleanupIncomplete, message, primary);
        if (cancelled || primary is null) return new CancelledException(message, primary);
        return new CephBackupException(primary is CephBackupException c2 ? c2.Code : ExitCode.StorageError, message, primary);
    }

    private static CephBackupException Invalid(string message) => new(ExitCode.InvalidInput, message);
}
