namespace CephBackup.Core.Catalog;

/// <summary>Pure rules for mapping between the PHP-era columns and the catalog model.</summary>
internal static class CatalogRules
{
    /// <summary>
    /// A schedule column counts as set when it is non-NULL and non-zero: the PHP tool tested it for
    /// truthiness, so values like 2 mean "yes" too.
    /// </summary>
    public static ScheduleFlags ToScheduleFlags(IReadOnlyList<int?> columnsFromOne)
    {
        var flags = new Dictionary<int, bool>(columnsFromOne.Count);
        for (var i = 0; i < columnsFromOne.Count; i++) flags[i + 1] = columnsFromOne[i] is { } v && v != 0;
        return new ScheduleFlags(flags);
    }

    /// <summary>
    /// Named locks are server-wide, not per database: the catalog's database name is part of the name so
    /// two catalogs on one server (or two test databases) never block each other's job 1. MySQL caps lock
    /// names at 64 characters; this is at most 15 + 11 + 1 + 12 = 39.
    /// </summary>
    public static string JobLockName(string database, int jobId) =>
        $"cephbackup.job.{jobId}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(database)))[..12]}";

    // backup_log has the PHP tool's narrow columns (job name varchar(45) while backup_jobs.name is 128):
    // in strict mode an over-long value would fail the whole RecordPoint transaction, losing a good point
    // for the sake of a history row, so the log copy is cut to fit instead.
    public const int LogJobLength = 45, LogVmLength = 128, LogTypeLength = 6, LogResultLength = 20, LogPathLength = 255;

    public static string? Fit(string? value, int maxChars)
    {
        if (value is null || value.Length <= maxChars) return value;
        // Never split a surrogate pair: half a pair is not valid text for the server.
        var cut = char.IsHighSurrogate(value[maxChars - 1]) ? maxChars - 1 : maxChars;
        return value[..cut];
    }

    internal static SqlArgs LogArgs(BackupLogEntry log) => SqlArgs.Of(new
    {
        Job = Fit(log.Job, LogJobLength),
        Vm = Fit(log.Vm, LogVmLength),
        log.TimeStart,
        log.TimeEnd,
        Type = Fit(log.Type, LogTypeLength),
        Result = Fit(log.Result, LogResultLength),
        Path = Fit(log.Path, LogPathLength),
        log.Error,
        log.BackupCmd,
    });

    public static bool IsKnownStatus(string status) =>
        status is PointStatus.Ok or PointStatus.Unverified or PointStatus.Deleting;
}
