namespace CephBackup.Core.Reporting;

public enum ImageResult { Success, Failed, Planned }

/// <summary>One image's line in the exec report (and in the log).</summary>
public sealed record ImageReport
{
    public required string Vm { get; init; }
    public required string Image { get; init; }
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
    public long SizeBytes { get; init; }
    /// <summary>FULL, INC or DIFF ("-" when nothing was attempted).</summary>
    public string Type { get; init; } = "-";
    public string? RestorePoint { get; init; }
    public ImageResult Result { get; init; }
    /// <summary>Why this type was chosen (rotation, self-healing …) or the error.</summary>
    public string? Detail { get; init; }
    /// <summary>The point's snapshot, and the one its diff starts from (null for a full); set once planned.</summary>
    public string? Snapshot { get; init; }
    public string? FromSnapshot { get; init; }

    public TimeSpan Duration => End - Start;
    /// <summary>Decimal MB/s like the PHP report; null when the duration is too short to say.</summary>
    public double? MegabytesPerSecond => Duration.TotalSeconds >= 0.001 ? SizeBytes / 1e6 / Duration.TotalSeconds : null;
}

public enum JobResult { Success, Failed, Skipped, AlreadyRunning, ConfigError, NotMounted }

public sealed record JobReport
{
    public required string JobName { get; init; }
    public JobResult Result { get; init; }
    /// <summary>Job-level message (why it was skipped, failed before any image, who holds the lock).</summary>
    public string? Message { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public IReadOnlyList<ImageReport> Images { get; init; } = [];
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
    /// <summary>For a job that ran or was planned: why it is due, and its settings (the dry run prints them).</summary>
    public JobPlanSummary? Plan { get; init; }
    /// <summary>The run was stopped by SIGINT/SIGTERM: unfinished points were undone, the finished ones are listed.</summary>
    public bool Cancelled { get; init; }

    /// <summary>True when any image or the job itself failed.</summary>
    public bool IsFailure => Result is JobResult.Failed or JobResult.AlreadyRunning or JobResult.ConfigError or JobResult.NotMounted
                             || Images.Any(i => i.Result == ImageResult.Failed);

    /// <summary>The PHP tool's subject, which users filter on.</summary>
    public string Subject => Result is JobResult.AlreadyRunning or JobResult.ConfigError or JobResult.NotMounted
        ? $"[FAIL] CEPH Backup {JobName} (ALL objects)"
        : $"[{(IsFailure ? "FAIL" : "SUCCESS")}] CEPH Backup {JobName} ({Images.Count} objects)";
}

/// <summary>What the schedule said and the settings a due job runs with.</summary>
public sealed record JobPlanSummary(string Reason, string Mode, int MaxInc, string Prefix, int Parallelism);
