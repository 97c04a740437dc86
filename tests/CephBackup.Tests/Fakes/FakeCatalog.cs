using System.Collections.Concurrent;
using CephBackup.Core;
using CephBackup.Core.Catalog;

namespace CephBackup.Tests.Fakes;

/// <summary>An in-memory catalog: jobs, links and points, with hooks to make one call fail.</summary>
public sealed class FakeCatalog : ICatalog
{
    private long _nextId = 1;
    public List<BackupJob> Jobs { get; } = [];
    public List<JobImage> Links { get; } = [];
    public ConcurrentDictionary<long, BackupPoint> Points { get; } = new();
    public ConcurrentQueue<string> Failures { get; } = new();
    /// <summary>Called before a point is stored; throw from it to make RecordPointAsync fail.</summary>
    public Action<BackupPoint> BeforeRecord { get; set; } = _ => { };
    /// <summary>Called after a point is stored (e.g. to lose the connection after COMMIT).</summary>
    public Action<BackupPoint> AfterRecord { get; set; } = _ => { };

    public int AddJob(string name, int maxInc = 3, int? maxParallel = null)
    {
        var id = Jobs.Count + 1;
        Jobs.Add(new BackupJob { Id = id, Name = name, MaxInc = maxInc, Enabled = 1, Path = "/tmp/never-used", SnapPrefix = "BK", MaxParallel = maxParallel });
        return id;
    }

    public void SetPath(int jobId, string path) => Jobs[jobId - 1] = Jobs[jobId - 1] with { Path = path };

    public void Link(int jobId, string vm, string image) =>
        Links.Add(new JobImage { LinkId = Links.Count + 1, JobId = jobId, VmId = Links.Count + 1, Vm = vm, Image = image });

    public Task<IReadOnlyList<BackupJob>> GetJobsAsync(bool enabledOnly, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<BackupJob>>(Jobs.Where(j => !enabledOnly || j.Enabled == 1).ToList());
    public Task<BackupJob?> GetJobByNameAsync(string name, CancellationToken ct) => Task.FromResult(Jobs.FirstOrDefault(j => j.Name == name));
    public Task<IReadOnlyList<JobImage>> GetJobImagesAsync(int jobId, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<JobImage>>(Links.Where(l => l.JobId == jobId).OrderBy(l => l.Vm, StringComparer.Ordinal).ThenBy(l => l.Image, StringComparer.Ordinal).ToList());
    public Task<IReadOnlyList<JobImage>> GetImagesOfVmAsync(string vm, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<JobImage>>(Links.Where(l => l.Vm == vm).ToList());
    public Task<ScheduleFlags?> GetDaysAsync(int jobId, CancellationToken ct) => Task.FromResult<ScheduleFlags?>(null);
    public Task<ScheduleFlags?> GetWeeksAsync(int jobId, CancellationToken ct) => Task.FromResult<ScheduleFlags?>(null);
    public Task SetJobLastRunAsync(int jobId, DateTime utc, CancellationToken ct) => Task.CompletedTask;
    public Task SetJobLastCompletionAsync(int jobId, DateTime utc, CancellationToken ct) => Task.CompletedTask;
    public Task SetImageLastRunAsync(int linkId, DateTime utc, CancellationToken ct) => Task.CompletedTask;

    public Task<IReadOnlyList<BackupPoint>> GetPointsAsync(int? jobId, string? vm, string? image, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<BackupPoint>>(Points.Values
            .Where(p => (jobId is null || p.JobId == jobId) && (vm is null || p.Vm == vm) && (image is null || p.Image == image))
            .OrderBy(p => p.Image, StringComparer.Ordinal).ThenBy(p => p.Chain).ThenBy(p => p.Point).ToList());

    public Task<long> RecordPointAsync(BackupPoint point, BackupLogEntry log, CancellationToken ct)
    {
        BeforeRecord(point);
        if (Points.Values.Any(p => p.JobId == point.JobId && p.Image == point.Image && p.Chain == point.Chain && p.Point == point.Point))
            throw new CatalogException($"duplicate {point.RestorePoint}");
        var id = Interlocked.Increment(ref _nextId);
        Points[id] = point with { Id = id };
        AfterRecord(point);
        return Task.FromResult(id);
    }

    public Task RecordFailureAsync(int linkId, BackupLogEntry log, CancellationToken ct)
    {
        Failures.Enqueue($"{log.Vm}: {log.Error}");
        return Task.CompletedTask;
    }

    public Task<bool> ImportPointAsync(BackupPoint point, CancellationToken ct) => throw new NotSupportedException();
    public Task SetPointStatusAsync(IReadOnlyCollection<long> ids, string status, CancellationToken ct) => throw new NotSupportedException();
    public Task DeletePointsAsync(IReadOnlyCollection<long> ids, CancellationToken ct) => throw new NotSupportedException();
    public Task SetVerifiedAsync(long id, DateTime utc, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>A job lock that is held until <see cref="Lose"/> is called.</summary>
public sealed class FakeLocks : IJobLockProvider, IJobLock
{
    private volatile bool _held = true;
    public void Lose() => _held = false;
    public Task<IJobLock?> TryAcquireAsync(int jobId, string host, int pid, DateTime startedUtc, CancellationToken ct) => Task.FromResult<IJobLock?>(this);
    public Task<LockHolder?> GetHolderAsync(int jobId, CancellationToken ct) => Task.FromResult<LockHolder?>(null);
    public Task<bool> StillHeldAsync(CancellationToken ct) => Task.FromResult(_held);
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
