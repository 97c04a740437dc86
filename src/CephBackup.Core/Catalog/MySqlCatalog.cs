using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>
/// <see cref="ICatalog"/> over MySQL/MariaDB. Expects a migrated database (<see cref="Migrator"/>):
/// backup_log ids come from AUTO_INCREMENT. Every PHP column is read by name with an explicit alias,
/// because the PHP schema has hyphenated and numeric column names and its order is not ours to rely on.
/// </summary>
public sealed partial class MySqlCatalog : ICatalog, IAsyncDisposable
{
    private readonly MySqlDataSource _ds;

    public MySqlCatalog(string connectionString)
    {
        _ds = new MySqlDataSourceBuilder(CatalogConnection.Normalize(connectionString)).Build();
    }

    public ValueTask DisposeAsync() => _ds.DisposeAsync();

    // NULL enabled/checkmount/max_inc behave as 0, as they did in the PHP comparisons (enabled = 1, inc >= max_inc).
    private const string JobColumns = """
        idbackup_jobs AS Id, name AS Name, COALESCE(max_inc, 0) AS MaxInc, COALESCE(enabled, 0) AS Enabled,
        lastrun AS LastRun, lastcompletion AS LastCompletion, path AS Path, COALESCE(checkmount, 0) AS CheckMount,
        retention AS Retention, mountpoint AS MountPoint, `snap-prefix` AS SnapPrefix, `max-snaps` AS MaxSnaps,
        `mode` AS Mode, max_parallel AS MaxParallel,
        compression AS Compression
        """;

    // Links whose job id is NULL belong to no job; they would surface as a phantom job 0.
    private const string ImageSelect = """
        SELECT bv.id AS LinkId, bv.idbackup_jobs AS JobId, bv.idvms AS VmId, v.vm AS Vm, v.image AS Image,
               COALESCE(bv.inc, 0) AS Inc, COALESCE(bv.`full`, 0) AS `Full`, v.libvirt_name AS LibvirtName
        FROM backup_vms bv JOIN vms v ON v.idvms = bv.idvms
        WHERE bv.idbackup_jobs IS NOT NULL
        """;

    public Task<IReadOnlyList<BackupJob>> GetJobsAsync(bool enabledOnly, CancellationToken ct) => Db<IReadOnlyList<BackupJob>>(async conn =>
    {
        var where = enabledOnly ? "WHERE enabled = 1" : "";
        return (await conn.QueryAsync<BackupJob>(new CommandDefinition(
            $"SELECT {JobColumns} FROM backup_jobs {where} ORDER BY idbackup_jobs", cancellationToken: ct)));
    }, ct);

    /// <summary>Job names are not unique in the PHP schema; the lowest id wins, as in a plain PHP lookup.</summary>
    public Task<BackupJob?> GetJobByNameAsync(string name, CancellationToken ct) => Db(conn =>
        conn.QueryFirstOrDefaultAsync<BackupJob>(new CommandDefinition(
            $"SELECT {JobColumns} FROM backup_jobs WHERE name = @name ORDER BY idbackup_jobs LIMIT 1",
            SqlArgs.Of(new { name }), cancellationToken: ct)), ct);

    public Task<IReadOnlyList<JobImage>> GetJobImagesAsync(int jobId, CancellationToken ct) => Db<IReadOnlyList<JobImage>>(async conn =>
        (await conn.QueryAsync<JobImage>(new CommandDefinition(
            $"{ImageSelect} AND bv.idbackup_jobs = @jobId ORDER BY v.vm, v.image, bv.id",
            SqlArgs.Of(new { jobId }), cancellationToken: ct))), ct);

    public Task<IReadOnlyList<JobImage>> GetImagesOfVmAsync(string vm, CancellationToken ct) => Db<IReadOnlyList<JobImage>>(async conn =>
        (await conn.QueryAsync<JobImage>(new CommandDefinition(
            $"{ImageSelect} AND v.vm = @vm ORDER BY v.vm, v.image, bv.id",
            SqlArgs.Of(new { vm }), cancellationToken: ct))), ct);

    public Task<ScheduleFlags?> GetDaysAsync(int jobId, CancellationToken ct) => GetScheduleAsync("backup_days", 7, jobId, ct);

    public Task<ScheduleFlags?> GetWeeksAsync(int jobId, CancellationToken ct) => GetScheduleAsync("backup_weeks", 5, jobId, ct);

    private Task<ScheduleFlags?> GetScheduleAsync(string table, int columns, int jobId, CancellationToken ct) => Db(async conn =>
    {
        // Aliases d1..dn: the real names `1`..`n` would be confused with ordinals by careless readers (as in PHP).
        var select = string.Join(", ", Enumerable.Range(1, columns).Select(n => $"`{n}` AS d{n}"));
        await using var cmd = new MySqlCommand(
            $"SELECT {select} FROM `{table}` WHERE idbackup_job = @jobId ORDER BY id LIMIT 1", conn);
        cmd.Parameters.AddWithValue("@jobId", jobId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return (ScheduleFlags?)null;
        var values = new int?[columns];
        for (var n = 1; n <= columns; n++)
        {
            var ordinal = r.GetOrdinal($"d{n}");
            values[n - 1] = r.IsDBNull(ordinal) ? null : r.GetInt32(ordinal);
        }
        return CatalogRules.ToScheduleFlags(values);
    }, ct);

    public Task SetJobLastRunAsync(int jobId, DateTime utc, CancellationToken ct) =>
        ExecAsync("UPDATE backup_jobs SET lastrun = @utc WHERE idbackup_jobs = @jobId", SqlArgs.Of(new { jobId, utc }), ct);

    public Task SetJobLastCompletionAsync(int jobId, DateTime utc, CancellationToken ct) =>
        ExecAsync("UPDATE backup_jobs SET lastcompletion = @utc WHERE idbackup_jobs = @jobId", SqlArgs.Of(new { jobId, utc }), ct);

    public Task SetImageLastRunAsync(int linkId, DateTime utc, CancellationToken ct) =>
        ExecAsync("UPDATE backup_vms SET lastrun = @utc WHERE id = @linkId", SqlArgs.Of(new { linkId, utc }), ct);

    private Task<int> ExecAsync(string sql, SqlArgs args, CancellationToken ct) =>
        Db(conn => conn.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct)), ct);

    /// <summary>Runs <paramref name="work"/> on a pooled connection; driver errors leave as <see cref="CatalogException"/>.</summary>
    private async Task<T> Db<T>(Func<MySqlConnection, Task<T>> work, CancellationToken ct)
    {
        try
        {
            await using var conn = await _ds.OpenConnectionAsync(ct);
            return await work(conn);
        }
        catch (Exception e) when (CatalogErrors.IsDriverError(e))
        {
            throw CatalogErrors.Wrap(e);
        }
    }
}
