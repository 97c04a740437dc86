using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;

namespace CephBackup.Core.Jobs;

/// <summary>The editable settings of <c>job add</c> / <c>job set</c>: null = not given (add: default; set: unchanged).</summary>
public sealed record JobOptions
{
    public string? Path { get; init; }
    public int? MaxInc { get; init; }
    public int? Retention { get; init; }
    public string? Mode { get; init; }
    public string? SnapPrefix { get; init; }
    public int? MaxSnaps { get; init; }
    /// <summary>A path turns checkmount on; "" turns it off.</summary>
    public string? MountPoint { get; init; }
    /// <summary>"1,2,7" (ISO days, 1 = Monday); "all" or "" removes the restriction.</summary>
    public string? Days { get; init; }
    /// <summary>"1,3" (weeks of the month, 1 = days 1-7); "all" or "" removes the restriction.</summary>
    public string? Weeks { get; init; }
    public int? Parallel { get; init; }
    public bool? Disabled { get; init; }
}

/// <summary>A job with its schedule and images, as <c>job show</c> and <c>job list</c> report it.</summary>
public sealed record JobView(BackupJob Job, ScheduleFlags? Days, ScheduleFlags? Weeks, IReadOnlyList<JobImage> Images, int Points);

/// <summary>
/// <c>job</c> verbs: every write is validated the way <c>exec</c> validates a job row (<see cref="JobSettings.From"/>)
/// plus the limits of the PHP columns, so a job made here runs under exec and under bkexec.php alike.
/// Unknown names are exit 5, invalid values exit 12; nothing is written on either.
/// </summary>
public sealed class JobAdminService(ICatalog catalog, ICatalogAdmin admin, IJobLockProvider locks)
{
    public const int DefaultMaxInc = 6, DefaultRetention = 10, DefaultMaxSnaps = 5;

    public async Task<IReadOnlyList<JobView>> ListAsync(CancellationToken ct)
    {
        var views = new List<JobView>();
        foreach (var j in await catalog.GetJobsAsync(enabledOnly: false, ct)) views.Add(await ViewAsync(j, ct));
        return views;
    }

    public async Task<JobView> ShowAsync(string name, CancellationToken ct) => await ViewAsync(await RequireJobAsync(name, ct), ct);

    public async Task<JobView> AddAsync(string name, JobOptions o, CancellationToken ct)
    {
        if (await catalog.GetJobByNameAsync(name, ct) is { } existing)
            throw new CephBackupException(ExitCode.InvalidInput, $"job '{Names.Printable(existing.Name)}' already exists (use 'job set')");
        if (o.Path is null) throw Invalid("--path is required");
        var job = Merge(new BackupJob { Name = name, MaxInc = DefaultMaxInc, Enabled = 1, Retention = DefaultRetention, MaxSnaps = DefaultMaxSnaps }, o);
        var schedule = ParseSchedule(o);
        await ValidateAsync(job, ct);
        var id = await admin.AddJobAsync(job, schedule, ct);
        return await ShowAsync(name, ct) is { Job.Id: var got } v && got == id ? v : throw new InvalidOperationException("job vanished after insert");
    }

    public async Task<JobView> SetAsync(string name, JobOptions o, CancellationToken ct)
    {
        var current = await RequireJobAsync(name, ct);
        var job = Merge(current, o);
        var schedule = ParseSchedule(o);
        await ValidateAsync(job, ct);
        await admin.UpdateJobAsync(job, schedule, ct);
        return await ViewAsync(job, ct);
    }

    public async Task SetEnabledAsync(string name, bool enabled, CancellationToken ct) =>
        await admin.SetJobEnabledAsync((await RequireJobAsync(name, ct)).Id, enabled, ct);

    /// <returns>The number of restore points left in the catalog (and on disk) for the removed job.</returns>
    public async Task<int> RemoveAsync(string name, bool force, CancellationToken ct)
    {
        var job = await RequireJobAsync(name, ct);
        if (await locks.GetHolderAsync(job.Id, ct) is { } h)
            throw new CephBackupException(ExitCode.AlreadyRunning, $"job '{name}' is running on {h.Host} (pid {h.Pid}): not removed");
        var points = await admin.CountPointsAsync(job.Id, null, null, ct);
        if (points > 0 && !force)
            throw new CephBackupException(ExitCode.InvalidInput,
                $"job '{name}' has {points} restore point(s): not removed (--force removes the job and keeps its files and catalog points)");
        await admin.DeleteJobAsync(job.Id, ct);
        return points;
    }

    public async Task<BackupJob> RequireJobAsync(string name, CancellationToken ct) =>
        await catalog.GetJobByNameAsync(name, ct) is { } j && j.Name == name
            ? j
            : throw new CephBackupException(ExitCode.InvalidInput, $"unknown job '{Names.Printable(name)}'");

    private async Task<JobView> ViewAsync(BackupJob j, CancellationToken ct) => new(j,
        await catalog.GetDaysAsync(j.Id, ct), await catalog.GetWeeksAsync(j.Id, ct),
        await catalog.GetJobImagesAsync(j.Id, ct), await admin.CountPointsAsync(j.Id, null, null, ct));

    private static BackupJob Merge(BackupJob j, JobOptions o) => j with
    {
        Path = o.Path ?? j.Path,
        MaxInc = o.MaxInc ?? j.MaxInc,
        Retention = o.Retention ?? j.Retention,
        Mode = o.Mode is null ? j.Mode : o.Mode.Trim().ToLowerInvariant(),
        SnapPrefix = o.SnapPrefix ?? j.SnapPrefix,
        MaxSnaps = o.MaxSnaps ?? j.MaxSnaps,
        MountPoint = o.MountPoint is null ? j.MountPoint : o.MountPoint.Length == 0 ? null : o.MountPoint,
        CheckMount = o.MountPoint is null ? j.CheckMount : o.MountPoint.Length == 0 ? 0 : 1,
        MaxParallel = o.Parallel ?? j.MaxParallel,
        Enabled = o.Disabled == true ? 0 : j.Enabled,
    };

    /// <summary>The checks of exec, then the PHP column limits and what exec's other verbs refuse at run time.</summary>
    private async Task ValidateAsync(BackupJob job, CancellationToken ct)
    {
        try { _ = JobSettings.From(job); }
        catch (CephBackupException e) { throw Invalid(e.Message.StartsWith($"job {job.Id}: ", StringComparison.Ordinal) ? e.Message[$"job {job.Id}: ".Length..] : e.Message); }
        // Points and chains are six digits in file and snapshot names.
        if (job.MaxInc > 999_999) throw Invalid($"--max-inc {job.MaxInc}: at most 999999");
        if (job.Retention is not { } r || r < 1) throw Invalid($"--retention {job.Retention}: at least 1 (the PHP retention deletes every chain for 0 or NULL)");
        if (job.MaxSnaps is not { } s || s < 1) throw Invalid($"--max-snaps {job.MaxSnaps}: at least 1 (the snapshot the next diff starts from is kept)");
        if (job.MaxParallel is { } p && (p < 1 || p > 64)) throw Invalid($"--parallel {p}: from 1 to 64");
        if (job.Path!.Length > 128) throw Invalid("--path: at most 128 characters (backup_jobs.path)");
        // Names' pattern ends in '$', which also matches before a final newline: a name must never carry one.
        if (job.Name!.Any(char.IsControl)) throw Invalid($"invalid job name '{Names.Printable(job.Name)}'");
        if (job.MountPoint is { } m)
        {
            if (!System.IO.Path.IsPathRooted(m) || m.Length > 45 || m.Any(char.IsControl))
                throw Invalid($"--mountpoint '{Names.Printable(m)}': an absolute path of at most 45 characters (backup_jobs.mountpoint)");
            var mp = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(m));
            var path = System.IO.Path.GetFullPath(job.Path);
            if (path != mp && !path.StartsWith(mp == "/" ? "/" : mp + "/", StringComparison.Ordinal))
                throw Invalid($"--path {Names.Printable(job.Path)} is not inside --mountpoint {Names.Printable(m)}: exec would never run it");
        }
        var prefix = SnapshotNames.EffectivePrefix(job);
        foreach (var other in await catalog.GetJobsAsync(enabledOnly: false, ct))
        {
            if (other.Id == job.Id) continue;
            if (SnapshotNames.EffectivePrefix(other) == prefix)
                throw Invalid($"--snap-prefix {prefix} is the prefix of job '{Names.Printable(other.Name)}': two jobs with one prefix would share (and trim) each other's snapshots");
        }
    }

    private static JobSchedule ParseSchedule(JobOptions o) => new(ParseSet(o.Days, "--days", 7), ParseSet(o.Weeks, "--weeks", 5));

    /// <summary>"1,2,7" → {1,2,7}; "all" or "" → {} (no restriction); null → null (unchanged).</summary>
    internal static IReadOnlySet<int>? ParseSet(string? value, string option, int max)
    {
        if (value is null) return null;
        var v = value.Trim();
        if (v.Length == 0 || v.Equals("all", StringComparison.OrdinalIgnoreCase)) return new HashSet<int>();
        var set = new HashSet<int>();
        foreach (var part in v.Split(','))
        {
            var t = part.Trim();
            if (t.Length != 1 || t[0] < '1' || t[0] > (char)('0' + max) || !set.Add(t[0] - '0'))
                throw Invalid($"{option} '{Names.Printable(value)}': a comma-separated list of distinct numbers 1 to {max}, or 'all'");
        }
        return set;
    }

    internal static CephBackupException Invalid(string message) => new(ExitCode.ConfigError, message);
}
