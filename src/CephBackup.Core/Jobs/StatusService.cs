using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;

namespace CephBackup.Core.Jobs;

public sealed record StatusRequest
{
    public string? Job { get; init; }
    public OverdueThresholds Limits { get; init; } = OverdueThresholds.FromSchedule;
}

/// <summary>One image of a job: its newest restorable point and what monitoring needs to know about it.</summary>
public sealed record ImageStatus
{
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public required string Image { get; init; }
    public BackupPoint? LastSuccess { get; init; }
    public TimeSpan? Age { get; init; }
    public DateTime? LastRun { get; init; }
    /// <summary><c>backup_vms.success</c> of the last run: true, false, or null before the first run.</summary>
    public bool? LastRunOk { get; init; }
    public DateTime? LastVerified { get; init; }
    /// <summary>Points in the newest chain (the full included).</summary>
    public int ChainPoints { get; init; }
    public long StoredBytes { get; init; }
    /// <summary>Size of the newest point of each type.</summary>
    public IReadOnlyDictionary<PointType, long> LastSizeByType { get; init; } = new Dictionary<PointType, long>();
    public required OverdueVerdict Verdict { get; init; }
    public HealthState State { get; init; }
    public required string Reason { get; init; }
}

public sealed record JobStatus
{
    public required BackupJob Job { get; init; }
    public bool Enabled => Job.Enabled == 1;
    public DateOnly? NextRun { get; init; }
    public IReadOnlyList<ImageStatus> Images { get; init; } = [];
    /// <summary>Why the job itself is unhealthy (a row exec refuses), or null.</summary>
    public string? Problem { get; init; }
    /// <summary>Null before the first run; false when the last run did not complete or an image failed.</summary>
    public bool? LastRunOk { get; init; }
    public long StoredBytes { get; init; }
    public HealthState State => (HealthState)Math.Max(Problem is null ? 0 : (int)HealthState.Critical, Images.Select(i => (int)i.State).DefaultIfEmpty(0).Max());
}

public sealed record StatusReport(DateTimeOffset Now, IReadOnlyList<JobStatus> Jobs)
{
    public HealthState State => (HealthState)Jobs.Select(j => (int)j.State).DefaultIfEmpty(0).Max();

    /// <summary>The monitoring-plugin first line: <c>CEPHBACKUP OK - 3 jobs, 7 images, 0 overdue, 0 failed</c>.</summary>
    public string Summary
    {
        get
        {
            var images = Jobs.SelectMany(j => j.Images).ToList();
            var bad = images.Where(i => i.State != HealthState.Ok).Select(i => $"{i.Job}/{i.Vm}/{i.Image}: {i.Reason}")
                .Concat(Jobs.Where(j => j.Problem is not null).Select(j => $"{j.Job.Name}: {j.Problem}")).ToList();
            var head = $"CEPHBACKUP {State.ToString().ToUpperInvariant()} - {Jobs.Count} job(s), {images.Count} image(s), " +
                       $"{images.Count(i => i.Verdict.Overdue)} overdue, {images.Count(i => i.LastRunOk == false)} failed";
            return bad.Count == 0 ? head : $"{head}; {string.Join("; ", bad.Take(3))}{(bad.Count > 3 ? $"; +{bad.Count - 3} more" : "")}";
        }
    }
}

/// <summary>
/// <c>cephbackup status</c> and the metrics: the state of every job and image from the catalog alone
/// (no Ceph, no file access), so it is cheap enough for a monitoring check every few minutes.
/// </summary>
public sealed class StatusService(ICatalog catalog, ICatalogAdmin admin, TimeProvider time)
{
    public async Task<StatusReport> RunAsync(StatusRequest req, CancellationToken ct)
    {
        var jobs = await catalog.GetJobsAsync(enabledOnly: false, ct);
        if (req.Job is not null)
        {
            jobs = jobs.Where(j => j.Name == req.Job).ToList();
            if (jobs.Count == 0) throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(req.Job)}'");
        }
        var now = time.GetUtcNow();
        var result = new List<JobStatus>();
        foreach (var j in jobs) result.Add(await JobAsync(j, now, req.Limits, ct));
        return new StatusReport(now, result);
    }

    private async Task<JobStatus> JobAsync(BackupJob job, DateTimeOffset now, OverdueThresholds limits, CancellationToken ct)
    {
        string? problem = null;
        if (job.Enabled == 1)
        {
            try { _ = JobSettings.From(job); }
            catch (CephBackupException e) { problem = "exec refuses this job: " + e.Message; }
        }
        var days = await catalog.GetDaysAsync(job.Id, ct);
        var weeks = await catalog.GetWeeksAsync(job.Id, ct);
        var points = (await catalog.GetPointsAsync(job.Id, null, null, ct))
            .Where(p => p.Status is PointStatus.Ok or PointStatus.Unverified).ToList();
        var links = await admin.GetLinkStatesAsync(job.Id, ct);
        var images = links.Select(l => Image(job, l, points, now, days, weeks, limits)).ToList();

        var zone = time.LocalTimeZone;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var ranToday = job.LastRun is { } lr && DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(new DateTimeOffset(lr, TimeSpan.Zero), zone).DateTime) == today;
        bool? lastRunOk = job.LastRun is not { } lastRun ? null
            : job.LastCompletion is { } done && done >= lastRun && !links.Any(l => l.Success == 0 && l.LastRun >= lastRun);
        return new JobStatus
        {
            Job = job,
            NextRun = job.Enabled == 1 ? Overdue.NextScheduledDay(ranToday ? today.AddDays(1) : today, days, weeks) : null,
            Images = images,
            Problem = problem,
            LastRunOk = lastRunOk,
            StoredBytes = points.Sum(p => p.SizeBytes),
        };
    }

    private ImageStatus Image(BackupJob job, LinkState l, List<BackupPoint> all, DateTimeOffset now, ScheduleFlags? days, ScheduleFlags? weeks, OverdueThresholds limits)
    {
        var mine = all.Where(p => p.Vm == l.Vm && p.Image == l.Image).ToList();
        var last = mine.OrderByDescending(p => p.EndedAt).FirstOrDefault();
        DateTimeOffset? lastAt = last is null ? null : new DateTimeOffset(DateTime.SpecifyKind(last.EndedAt, DateTimeKind.Utc));
        var verdict = Overdue.Evaluate(now, lastAt, job.Enabled == 1, days, weeks, time.LocalTimeZone, limits);
        bool? lastRunOk = l.Success is null ? null : l.Success != 0;
        var state = verdict.State;
        var reason = verdict.Reason;
        if (job.Enabled == 1 && lastRunOk == false && state < HealthState.Warning)
            (state, reason) = (HealthState.Warning, $"last run failed; {reason}");
        else if (job.Enabled == 1 && lastRunOk == false)
            reason = $"last run failed; {reason}";
        var newestChain = mine.Count == 0 ? 0 : mine.Max(p => p.Chain);
        return new ImageStatus
        {
            Job = job.Name ?? $"#{job.Id}", Vm = l.Vm ?? "", Image = l.Image ?? "",
            LastSuccess = last,
            Age = lastAt is { } a ? now - a : null,
            LastRun = l.LastRun,
            LastRunOk = lastRunOk,
            LastVerified = mine.Max(p => p.VerifiedAt),
            ChainPoints = mine.Count(p => p.Chain == newestChain),
            StoredBytes = mine.Sum(p => p.SizeBytes),
            LastSizeByType = mine.GroupBy(p => p.Type).ToDictionary(g => g.Key, g => g.MaxBy(p => p.EndedAt)!.SizeBytes),
            Verdict = verdict,
            State = state,
            Reason = reason,
        };
    }
}
