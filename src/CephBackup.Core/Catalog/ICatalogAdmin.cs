namespace CephBackup.Core.Catalog;

/// <summary>
/// Writes to the PHP tool's job and VM tables (<c>job</c>/<c>vm</c> verbs) and the reads <c>status</c> and the
/// metrics need beyond <see cref="ICatalog"/>. Separate from ICatalog so the backup path never sees admin writes.
/// Every write is one transaction; callers validate values first (Jobs/JobAdminService).
/// </summary>
public interface ICatalogAdmin
{
    /// <summary>Inserts the job (and its schedule rows); returns the new id. A NULL snap-prefix is stored as <c>cbk&lt;id&gt;</c>.</summary>
    Task<int> AddJobAsync(BackupJob job, JobSchedule schedule, CancellationToken ct);
    /// <summary>Rewrites the job's editable columns; schedule rows are replaced only where <paramref name="schedule"/> says so.</summary>
    Task UpdateJobAsync(BackupJob job, JobSchedule schedule, CancellationToken ct);
    Task SetJobEnabledAsync(int jobId, bool enabled, CancellationToken ct);
    /// <summary>Deletes the job row, its schedule rows and its <c>backup_vms</c> links; points and files stay.</summary>
    Task DeleteJobAsync(int jobId, CancellationToken ct);

    /// <summary>Every <c>vms</c> row (one per disk image), with the ids of the jobs it is linked to.</summary>
    Task<IReadOnlyList<VmImageRow>> GetVmImagesAsync(string? vm, CancellationToken ct);
    /// <summary>Inserts one <c>vms</c> row per image in one transaction; returns their ids.</summary>
    Task<IReadOnlyList<int>> AddVmImagesAsync(string vm, IReadOnlyList<string> images, CancellationToken ct);
    /// <summary>Deletes the <c>vms</c> rows and every <c>backup_vms</c> link to them.</summary>
    Task DeleteVmImagesAsync(IReadOnlyCollection<int> vmIds, CancellationToken ct);
    /// <summary>Links the images to the job; counters start where the catalog's points of (job, vm, image) end.</summary>
    Task AttachAsync(int jobId, IReadOnlyCollection<int> vmIds, CancellationToken ct);
    Task DetachAsync(int jobId, IReadOnlyCollection<int> vmIds, CancellationToken ct);

    /// <summary>Per-image run state of a job: <c>backup_vms.lastrun</c> and <c>success</c>.</summary>
    Task<IReadOnlyList<LinkState>> GetLinkStatesAsync(int jobId, CancellationToken ct);
    /// <summary>Restorable points (status ok/unverified), grouped by the caller.</summary>
    Task<int> CountPointsAsync(int? jobId, string? vm, string? image, CancellationToken ct);
}

/// <summary>
/// What to write to <c>backup_days</c> / <c>backup_weeks</c>: null = leave as it is; an empty set = remove the
/// row (no restriction); otherwise the row is written with 1 for these numbers and 0 for the others.
/// </summary>
public sealed record JobSchedule(IReadOnlySet<int>? Days, IReadOnlySet<int>? Weeks)
{
    public static JobSchedule Unchanged { get; } = new(null, null);
}

/// <summary>A <c>vms</c> row and the jobs it is linked to.</summary>
public sealed record VmImageRow(int VmId, string? Vm, string? Image, IReadOnlyList<int> JobIds);

/// <summary>A <c>backup_vms</c> row's run state; <c>Success</c> is NULL before the first run.</summary>
public sealed record LinkState(int LinkId, int VmId, string? Vm, string? Image, DateTime? LastRun, int? Success);
