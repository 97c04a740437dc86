namespace CephBackup.Core.Catalog;

/// <summary>
/// The catalog: the PHP tool's tables, read by column name, plus the additive cephbackup_* tables.
/// All times are UTC.
/// </summary>
public interface ICatalog
{
    Task<IReadOnlyList<BackupJob>> GetJobsAsync(bool enabledOnly, CancellationToken ct);
    Task<BackupJob?> GetJobByNameAsync(string name, CancellationToken ct);
    Task<IReadOnlyList<JobImage>> GetJobImagesAsync(int jobId, CancellationToken ct);
    /// <summary>All images (with their job) whose <c>vms.vm</c> equals <paramref name="vm"/>.</summary>
    Task<IReadOnlyList<JobImage>> GetImagesOfVmAsync(string vm, CancellationToken ct);
    /// <summary>The job's <c>backup_days</c> row (columns `1`..`7`), or null when it has none.</summary>
    Task<ScheduleFlags?> GetDaysAsync(int jobId, CancellationToken ct);
    /// <summary>The job's <c>backup_weeks</c> row (columns `1`..`5`), or null when it has none.</summary>
    Task<ScheduleFlags?> GetWeeksAsync(int jobId, CancellationToken ct);

    Task SetJobLastRunAsync(int jobId, DateTime utc, CancellationToken ct);
    Task SetJobLastCompletionAsync(int jobId, DateTime utc, CancellationToken ct);
    Task SetImageLastRunAsync(int linkId, DateTime utc, CancellationToken ct);

    /// <summary>Restore points, filtered by whichever arguments are non-null; ordered by image, chain, point.</summary>
    Task<IReadOnlyList<BackupPoint>> GetPointsAsync(int? jobId, string? vm, string? image, CancellationToken ct);

    /// <summary>
    /// In one transaction: insert the point, set <c>backup_vms</c> inc/full/success=1, insert the <c>backup_log</c> row.
    /// Returns the new point id.
    /// </summary>
    Task<long> RecordPointAsync(BackupPoint point, BackupLogEntry log, CancellationToken ct);
    /// <summary>Sets <c>backup_vms.success = 0</c> (counters untouched) and inserts the <c>backup_log</c> row.</summary>
    Task RecordFailureAsync(int linkId, BackupLogEntry log, CancellationToken ct);

    /// <summary>Inserts a point found on disk (catalog import) unless one with the same job/image/chain/point exists.</summary>
    Task<bool> ImportPointAsync(BackupPoint point, CancellationToken ct);
    Task SetPointStatusAsync(IReadOnlyCollection<long> ids, string status, CancellationToken ct);
    Task DeletePointsAsync(IReadOnlyCollection<long> ids, CancellationToken ct);
    Task SetVerifiedAsync(long id, DateTime utc, CancellationToken ct);
}

/// <summary>A per-job MySQL named lock, held on a dedicated connection for the whole run.</summary>
public interface IJobLockProvider
{
    /// <summary>Returns the held lock, or null when another process holds it (see <see cref="GetHolderAsync"/>).</summary>
    Task<IJobLock?> TryAcquireAsync(int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct);
    Task<LockHolder?> GetHolderAsync(int jobId, CancellationToken ct);
}

public interface IJobLock : IAsyncDisposable
{
    /// <summary>False if the lock connection was lost (the lock may be gone): stop before anything destructive.</summary>
    Task<bool> StillHeldAsync(CancellationToken ct);
}
