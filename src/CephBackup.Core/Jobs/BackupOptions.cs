namespace CephBackup.Core.Jobs;

/// <summary>The <c>Backup</c> section of the configuration file.</summary>
public sealed record BackupOptions
{
    /// <summary>How many images of one job are exported at once (a job's <c>max_parallel</c> can lower it).</summary>
    public int Parallelism { get; init; } = 2;
}
