using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using Serilog;

namespace CephBackup.Core.Jobs;

public sealed record TrimSnapRequest
{
    /// <summary>Only this job (by name, even if disabled); null = every enabled job.</summary>
    public string? JobName { get; init; }
    public bool DryRun { get; init; }
}

public enum TrimSnapResult { Kept, Deleted, WouldDelete, Failed }

/// <summary>What happened to one of the job's own snapshots; <see cref="Error"/> is why its removal failed.</summary>
public sealed record TrimSnapDecision(string Name, TrimSnapResult Result, string Reason, bool Protected, string? Error = null);

/// <summary>One image's line of the summary; <see cref="Error"/> set when the image was not trimmed at all.</summary>
/// <param name="Snapshots">Every snapshot of this job's on the image, in the order they were handled (null when not trimmed).</param>
public sealed record TrimImageSummary(string Job, string Vm, string Image, int Deleted, int Kept, int Protected, int Failed, string? Error = null,
    IReadOnlyList<TrimSnapDecision>? Snapshots = null, IReadOnlyList<string>? Warnings = null)
{
    public override string ToString() => Error is not null
        ? $"{Job} {Vm}/{Image}: FAIL ({Error})"
        : $"{Job} {Vm}/{Image}: {Deleted} deleted, {Kept} kept, {Protected} protected, {Failed} failed";
}

public sealed record TrimSnapOutcome(IReadOnlyList<TrimImageSummary> Images, IReadOnlyList<(string Job, ExitCode Code, string Message)> JobErrors)
{
    public ExitCode ExitCode =>
        Images.Any(i => i.Failed > 0 || i.Error is not null) ? ExitCode.PartialFailure
        : JobErrors.Any(e => e.Code == ExitCode.AlreadyRunning) ? ExitCode.AlreadyRunning
        : JobErrors.Count > 0 ? ExitCode.ConfigError
        : ExitCode.Ok;
}

/// <summary>
/// <c>cephbackup trimsnap</c>: removes this tool's old Ceph snapshots per image (<see cref="TrimPolicy"/>).
/// Holds the job lock, because a snapshot without a recorded point may be the one a running exec is exporting.
/// </summary>
public sealed class TrimSnapService(ICatalog catalog, IJobLockProvider locks, IRbd rbd, CephOptions ceph,
    TimeProvider time, HostIdentity host, ILogger log)
{
    public async Task<TrimSnapOutcome> RunAsync(TrimSnapRequest req, TextWriter output, CancellationToken ct)
    {
        var all = await catalog.GetJobsAsync(enabledOnly: false, ct);
        var jobs = req.JobName is null ? all.Where(j => j.Enabled == 1).ToList() : all.Where(j => j.Name == req.JobName).ToList();
        if (req.JobName is not null && jobs.Count == 0)
            throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.JobName)}'");
        var owners = await PrefixOwnersAsync(all, ct);

        var images = new List<TrimImageSummary>();
        var errors = new List<(string, ExitCode, string)>();
        foreach (var row in jobs)
        {
            ct.ThrowIfCancellationRequested();
            var name = Names.IsValid(row.Name) ? row.Name! : $"job {row.Id}";
            JobSettings job;
            try { job = JobSettings.From(row); }
            catch (CephBackupException e)
            {
                errors.Add((name, ExitCode.ConfigError, e.Message));
                await Say(output, $"{name}: FAIL ({e.Message})");
                continue;
            }
            IJobLock? jobLock = null;
            if (!req.DryRun)
            {
                jobLock = await locks.TryAcquireAsync(job.Id, host.Host, host.Pid, time.GetUtcNow().UtcDateTime, ct);
                if (jobLock is null)
                {
                    errors.Add((name, ExitCode.AlreadyRunning, "job is running (lock held): not trimmed"));
                    await Say(output, $"{name}: skipped, the job is running (its lock is held)");
                    continue;
                }
            }
            await using (jobLock)
            {
                var points = await catalog.GetPointsAsync(job.Id, null, null, ct);
                foreach (var link in await catalog.GetJobImagesAsync(job.Id, ct))
                {
                    if (jobLock is not null && !await jobLock.StillHeldAsync(ct))
                    {
                        images.Add(new(name, Names.Printable(link.Vm), Names.Printable(link.Image), 0, 0, 0, 0, "lost the job lock: stopped"));
                        break;
                    }
                    var summary = await TrimImageAsync(job, link, points, owners, req.DryRun, output, ct);
                    images.Add(summary);
                    await Say(output, summary.ToString());
                }
            }
        }
        return new TrimSnapOutcome(images, errors);
    }

    private async Task<TrimImageSummary> TrimImageAsync(JobSettings job, JobImage link, IReadOnlyList<BackupPoint> points,
        Dictionary<(string, string), HashSet<int>> owners, bool dryRun, TextWriter output, CancellationToken ct)
    {
        var vm = Names.Printable(link.Vm);
        var image = Names.Printable(link.Image);
        TrimImageSummary Fail(string msg)
        {
            log.Error("trimsnap {Job} {Vm}/{Image}: {Error}", job.Name, vm, image, msg);
            return new(job.Name, vm, image, 0, 0, 0, 0, msg);
        }
        try
        {
            var target = ImageTarget.From(link, ceph.Pool);
            if (owners.TryGetValue((target.Ref.ToString(), job.Prefix), out var ids) && ids.Count > 1)
                return Fail($"snap-prefix '{job.Prefix}' is also used by job(s) {string.Join(", ", ids.Where(i => i != job.Id))} on this image: their snapshots would look like this job's");
            var snaps = await rbd.SnapListAsync(target.Ref, ct);
            // A point counts only under the name it was made with: after a prefix change the old points vouch for nothing.
            var recorded = points
                .Where(p => p.Image == link.Image && p.Status is PointStatus.Ok or PointStatus.Unverified)
                .Where(p => SnapshotNames.TryParse(job.Prefix, p.Snapshot, out _, out _))
                .Select(p => (p.Chain, p.Point)).ToList();
            var plan = TrimPolicy.Plan(snaps.Select(s => new SnapInfo(s.Name, s.Protected)).ToList(), job.Prefix, recorded, job.Mode, job.Row.MaxSnaps);
            foreach (var w in plan.Warnings)
            {
                log.Warning("trimsnap {Job} {Vm}/{Image}: {Warning}", job.Name, vm, image, w);
                await Say(output, $"  warning: {w}");
            }
            var decisions = new List<TrimSnapDecision>();
            foreach (var d in plan.Decisions.Where(d => d.Own))
            {
                if (d.Action == SnapAction.Keep || dryRun)
                {
                    if (dryRun || d.Protected)
                        await Say(output, $"  {(dryRun && d.Action == SnapAction.Delete ? "would delete" : d.Action.ToString().ToLowerInvariant())} {d.Name} ({d.Reason})");
                    decisions.Add(new(d.Name, d.Action == SnapAction.Keep ? TrimSnapResult.Kept : TrimSnapResult.WouldDelete, d.Reason, d.Protected));
                    continue;
                }
                decisions.Add(await RemoveAsync(job, target, vm, image, d, output, ct));
            }
            return new(job.Name, vm, image, decisions.Count(d => d.Result == TrimSnapResult.Deleted), decisions.Count(d => d.Result == TrimSnapResult.Kept),
                decisions.Count(d => d.Protected), decisions.Count(d => d.Result == TrimSnapResult.Failed), null, decisions, plan.Warnings);
        }
        catch (CephBackupException e) { return Fail(e.Message); }
    }

    private async Task<TrimSnapDecision> RemoveAsync(JobSettings job, ImageTarget target, string vm, string image, SnapDecision d,
        TextWriter output, CancellationToken ct)
    {
        try
        {
            await rbd.SnapRemoveAsync(target.Ref, d.Name, ct);
            log.Information("trimsnap {Job} {Vm}/{Image}: removed {Snapshot} ({Reason})", job.Name, vm, image, d.Name, d.Reason);
            return new(d.Name, TrimSnapResult.Deleted, d.Reason, d.Protected);
        }
        catch (CephBackupException e)
        {
            log.Error("trimsnap {Job} {Vm}/{Image}: could not remove {Snapshot}: {Error}", job.Name, vm, image, d.Name, e.Message);
            await Say(output, $"  FAIL {d.Name}: {e.Message}");
            return new(d.Name, TrimSnapResult.Failed, d.Reason, d.Protected, e.Message);
        }
    }

    private static Task Say(TextWriter output, string line) => output.WriteLineAsync(line);

    /// <summary>(pool/image, effective prefix) → ids of the jobs (enabled or not) that make such snapshot names there.</summary>
    private async Task<Dictionary<(string, string), HashSet<int>>> PrefixOwnersAsync(IReadOnlyList<BackupJob> jobs, CancellationToken ct)
    {
        var owners = new Dictionary<(string, string), HashSet<int>>();
        foreach (var job in jobs)
        {
            var prefix = SnapshotNames.EffectivePrefix(job);
            foreach (var img in await catalog.GetJobImagesAsync(job.Id, ct))
            {
                ImageRef r;
                try { r = ImageRef.Parse(img.Image ?? "", ceph.Pool); } catch (CephBackupException) { continue; }
                if (!owners.TryGetValue((r.ToString(), prefix), out var ids)) owners[(r.ToString(), prefix)] = ids = [];
                ids.Add(job.Id);
            }
        }
        return owners;
    }
}
