namespace CephBackup.Core.Catalog;

/// <summary>A row of <c>backup_jobs</c> (PHP schema + the additive <c>mode</c> column), read by column name.</summary>
public sealed record BackupJob
{
    public int Id { get; init; }
    public string? Name { get; init; }
    public int MaxInc { get; init; }
    public int Enabled { get; init; }
    public DateTime? LastRun { get; init; }
    public DateTime? LastCompletion { get; init; }
    public string? Path { get; init; }
    public int CheckMount { get; init; }
    public int? Retention { get; init; }
    public string? MountPoint { get; init; }
    public string? SnapPrefix { get; init; }
    public int? MaxSnaps { get; init; }
    /// <summary>NULL or 'incremental' (default) or 'differential'.</summary>
    public string? Mode { get; init; }
    /// <summary>NULL = <c>Backup:Parallelism</c>; a lower value caps how many of this job's images are exported at once.</summary>
    public int? MaxParallel { get; init; }
    /// <summary>NULL or 'none' (plain, the default), 'zstd' or 'zstd:N' (see <c>PointCodecs.ForJob</c>).</summary>
    public string? Compression { get; init; }
}

/// <summary>A <c>backup_vms</c> row joined with its <c>vms</c> row: one disk image of a VM in a job.</summary>
public sealed record JobImage
{
    /// <summary><c>backup_vms.id</c>.</summary>
    public int LinkId { get; init; }
    public int JobId { get; init; }
    public int VmId { get; init; }
    public string? Vm { get; init; }
    public string? Image { get; init; }
    public int Inc { get; init; }
    public int Full { get; init; }
    /// <summary><c>vms.libvirt_name</c>: the libvirt domain when it differs from <see cref="Vm"/> (v8).</summary>
    public string? LibvirtName { get; init; }
}

public enum PointType { Full, Incremental, Differential }

public static class PointTypes
{
    public static string ToDb(this PointType t) => t switch
    {
        PointType.Full => "full",
        PointType.Incremental => "incremental",
        _ => "differential",
    };

    public static PointType FromDb(string s) => s switch
    {
        "full" => PointType.Full,
        "incremental" or "inc" => PointType.Incremental,
        "differential" or "diff" => PointType.Differential,
        _ => throw new FormatException($"unknown point type '{s}'"),
    };
}

/// <summary>Status values of <c>cephbackup_points.status</c>.</summary>
public static class PointStatus
{
    /// <summary>Written by this tool; checksum recorded at write time.</summary>
    public const string Ok = "ok";
    /// <summary>Found on disk by <c>catalog import</c>: checksum computed afterwards, not at write time.</summary>
    public const string Unverified = "unverified";
    /// <summary>Retention started deleting it; the next run finishes the job.</summary>
    public const string Deleting = "deleting";
}

/// <summary>One restore point: a file <c>&lt;chain&gt;/&lt;point&gt;</c> plus its snapshot, recorded only after a verified export.</summary>
public sealed record BackupPoint
{
    public long Id { get; init; }
    public int JobId { get; init; }
    public required string JobName { get; init; }
    /// <summary><c>backup_vms.id</c> at the time of the backup.</summary>
    public int LinkId { get; init; }
    public required string Vm { get; init; }
    /// <summary>The <c>vms.image</c> value (image or pool/image).</summary>
    public required string Image { get; init; }
    public int Chain { get; init; }
    public int Point { get; init; }
    public PointType Type { get; init; }
    /// <summary>The point this one is a diff from (null for a full).</summary>
    public int? BasePoint { get; init; }
    public required string Snapshot { get; init; }
    /// <summary>Absolute path of the diff file.</summary>
    public required string FilePath { get; init; }
    public long SizeBytes { get; init; }
    /// <summary>Provisioned size of the image at snapshot time (what restore creates).</summary>
    public long ImageSizeBytes { get; init; }
    public string? Sha256 { get; init; }
    public string Status { get; init; } = PointStatus.Ok;
    public DateTime StartedAt { get; init; }
    public DateTime EndedAt { get; init; }
    public DateTime? VerifiedAt { get; init; }
    /// <summary>'plain' or 'zstd' (how the file is stored); null for rows from before compression existed (plain).</summary>
    public string? Format { get; init; }
    /// <summary>Size of the rbd diff stream (equal to <see cref="SizeBytes"/> for a plain point); null when unknown.</summary>
    public long? StreamSizeBytes { get; init; }
    /// <summary>sha256 of the rbd diff stream (equal to <see cref="Sha256"/> for a plain point); null when unknown.</summary>
    public string? StreamSha256 { get; init; }
    /// <summary>crash | fs-frozen (Consistency/PointConsistency); null for points from before v8 or imported.</summary>
    public string? Consistency { get; init; }

    public string RestorePoint => $"{Chain:D6}-{Point:D6}";
}

/// <summary>A row for the PHP tool's <c>backup_log</c> table (kept filled for compatibility).</summary>
public sealed record BackupLogEntry
{
    public required string Job { get; init; }
    public required string Vm { get; init; }
    public DateTime TimeStart { get; init; }
    public DateTime TimeEnd { get; init; }
    /// <summary>'full', 'inc' or 'diff' (column is varchar(6)).</summary>
    public required string Type { get; init; }
    /// <summary>'SUCCESS' or 'FAIL'.</summary>
    public required string Result { get; init; }
    public string? Path { get; init; }
    public string? Error { get; init; }
    public string? BackupCmd { get; init; }
}

/// <summary>Day-of-week (index 1 = Monday … 7 = Sunday) or week-of-month (1 … 5) flags of a job.</summary>
public sealed record ScheduleFlags(IReadOnlyDictionary<int, bool> Flags)
{
    public bool IsSet(int n) => Flags.TryGetValue(n, out var v) && v;
}

/// <summary>Who holds a job's lock (from <c>cephbackup_job_locks</c>).</summary>
public sealed record LockHolder(string Host, int Pid, DateTime StartedAt);
