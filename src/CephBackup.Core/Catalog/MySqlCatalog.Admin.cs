using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>
/// <see cref="ICatalogAdmin"/>: rows written exactly as the PHP tool reads them (every column it unpacks
/// positionally gets a real value, never NULL where PHP would misbehave: snap-prefix, retention, checkmount).
/// </summary>
public sealed partial class MySqlCatalog : ICatalogAdmin
{
    private const string JobValues = """
        name = @Name, max_inc = @MaxInc, enabled = @Enabled, path = @Path, checkmount = @CheckMount,
        retention = @Retention, mountpoint = @MountPoint, `snap-prefix` = @SnapPrefix, `max-snaps` = @MaxSnaps,
        `mode` = @Mode, max_parallel = @MaxParallel
        """;

    public Task<int> AddJobAsync(BackupJob job, JobSchedule schedule, CancellationToken ct) => Db<int>(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = await conn.ExecuteScalarAsync<int>(new CommandDefinition(
            $"INSERT INTO backup_jobs SET {JobValues}; SELECT LAST_INSERT_ID();", SqlArgs.Of(job), tx, cancellationToken: ct));
        // bkexec.php builds snapshot names from the column: NULL would give "-000001-000000". The default is the
        // one exec derives for NULL (cbk<id>), so both tools name the snapshots alike.
        if (job.SnapPrefix is null)
            await conn.ExecuteAsync(new CommandDefinition(
                "UPDATE backup_jobs SET `snap-prefix` = CONCAT('cbk', @id) WHERE idbackup_jobs = @id", SqlArgs.Of(new { id }), tx, cancellationToken: ct));
        await WriteScheduleAsync(conn, tx, id, schedule, ct);
        await tx.CommitAsync(ct);
        return id;
    }, ct);

    public Task UpdateJobAsync(BackupJob job, JobSchedule schedule, CancellationToken ct) => Db<int>(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var found = await conn.ExecuteAsync(new CommandDefinition(
            $"UPDATE backup_jobs SET {JobValues} WHERE idbackup_jobs = @Id", SqlArgs.Of(job), tx, cancellationToken: ct));
        if (found == 0) throw new CephBackupException(ExitCode.InvalidInput, $"job {job.Id} no longer exists");
        await WriteScheduleAsync(conn, tx, job.Id, schedule, ct);
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    private static async Task WriteScheduleAsync(MySqlConnection conn, MySqlTransaction tx, int jobId, JobSchedule s, CancellationToken ct)
    {
        foreach (var (table, columns, set) in new[] { ("backup_days", 7, s.Days), ("backup_weeks", 5, s.Weeks) })
        {
            if (set is null) continue;
            await conn.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM `{table}` WHERE idbackup_job = @jobId", SqlArgs.Of(new { jobId }), tx, cancellationToken: ct));
            if (set.Count == 0) continue;
            var names = string.Join(", ", Enumerable.Range(1, columns).Select(n => $"`{n}`"));
            var values = string.Join(", ", Enumerable.Range(1, columns).Select(n => set.Contains(n) ? "1" : "0"));
            await conn.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO `{table}` (idbackup_job, {names}) VALUES (@jobId, {values})", SqlArgs.Of(new { jobId }), tx, cancellationToken: ct));
        }
    }

    public Task SetJobEnabledAsync(int jobId, bool enabled, CancellationToken ct) =>
        ExecAsync("UPDATE backup_jobs SET enabled = @value WHERE idbackup_jobs = @jobId", SqlArgs.Of(new { jobId, value = enabled ? 1 : 0 }), ct);

    public Task DeleteJobAsync(int jobId, CancellationToken ct) => Db<int>(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var sql in new[]
                 {
                     "DELETE FROM backup_vms WHERE idbackup_jobs = @jobId",
                     "DELETE FROM backup_days WHERE idbackup_job = @jobId",
                     "DELETE FROM backup_weeks WHERE idbackup_job = @jobId",
                     "DELETE FROM backup_jobs WHERE idbackup_jobs = @jobId",
                 })
            await conn.ExecuteAsync(new CommandDefinition(sql, SqlArgs.Of(new { jobId }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    public Task<IReadOnlyList<VmImageRow>> GetVmImagesAsync(string? vm, CancellationToken ct) => Db<IReadOnlyList<VmImageRow>>(async conn =>
    {
        var rows = await conn.QueryAsync<(int VmId, string? Vm, string? Image, int? JobId)>(new CommandDefinition(
            $"""
            SELECT v.idvms, v.vm, v.image, bv.idbackup_jobs
            FROM vms v LEFT JOIN backup_vms bv ON bv.idvms = v.idvms AND bv.idbackup_jobs IS NOT NULL
            {(vm is null ? "" : "WHERE v.vm = @vm")}
            ORDER BY v.vm, v.image, v.idvms, bv.idbackup_jobs
            """, SqlArgs.Of(new { vm }), cancellationToken: ct));
        return rows.GroupBy(r => r.VmId)
            .Select(g => new VmImageRow(g.Key, g.First().Vm, g.First().Image,
                g.Where(r => r.JobId is not null).Select(r => r.JobId!.Value).Distinct().ToList()))
            .ToList();
    }, ct);

    public Task<IReadOnlyList<int>> AddVmImagesAsync(string vm, IReadOnlyList<string> images, CancellationToken ct) => Db<IReadOnlyList<int>>(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var ids = new List<int>();
        foreach (var image in images)
            ids.Add(await conn.ExecuteScalarAsync<int>(new CommandDefinition(
                "INSERT INTO vms (vm, image) VALUES (@vm, @image); SELECT LAST_INSERT_ID();", SqlArgs.Of(new { vm, image }), tx, cancellationToken: ct)));
        await tx.CommitAsync(ct);
        return ids;
    }, ct);

    public Task DeleteVmImagesAsync(IReadOnlyCollection<int> vmIds, CancellationToken ct) => Db<int>(async conn =>
    {
        if (vmIds.Count == 0) return 0;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("DELETE FROM backup_vms WHERE idvms IN @vmIds", SqlArgs.Of(new { vmIds }), tx, cancellationToken: ct));
        await conn.ExecuteAsync(new CommandDefinition("DELETE FROM vms WHERE idvms IN @vmIds", SqlArgs.Of(new { vmIds }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    public Task AttachAsync(int jobId, IReadOnlyCollection<int> vmIds, CancellationToken ct) => Db<int>(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        foreach (var vmId in vmIds)
        {
            // Re-attaching an image the job backed up before: counters continue its newest chain, so the PHP
            // tool (which trusts them) neither restarts at chain 1 over existing folders nor skips a number.
            // Two queries, not a join: PHP-era tables keep their own charset/collation, and comparing their
            // columns with cephbackup_points' fails with "Illegal mix of collations".
            var (vm, image) = await conn.QuerySingleAsync<(string?, string?)>(new CommandDefinition(
                "SELECT vm, image FROM vms WHERE idvms = @vmId", SqlArgs.Of(new { vmId }), tx, cancellationToken: ct));
            var points = (await conn.QueryAsync<(int Chain, int Point)>(new CommandDefinition("""
                SELECT chain, point FROM cephbackup_points
                WHERE job_id = @jobId AND vm = @vm AND image = @image AND status IN ('ok', 'unverified')
                """, SqlArgs.Of(new { jobId, vm, image }), tx, cancellationToken: ct)));
            var full = points.Count == 0 ? 0 : points.Max(p => p.Chain);
            var inc = points.Where(p => p.Chain == full).Select(p => p.Point).DefaultIfEmpty(0).Max();
            await conn.ExecuteAsync(new CommandDefinition(
                "INSERT INTO backup_vms (idbackup_jobs, idvms, inc, `full`) VALUES (@jobId, @vmId, @inc, @full)",
                SqlArgs.Of(new { jobId, vmId, inc, full }), tx, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    public Task DetachAsync(int jobId, IReadOnlyCollection<int> vmIds, CancellationToken ct) =>
        vmIds.Count == 0 ? Task.CompletedTask
            : ExecAsync("DELETE FROM backup_vms WHERE idbackup_jobs = @jobId AND idvms IN @vmIds", SqlArgs.Of(new { jobId, vmIds }), ct);

    public Task<IReadOnlyList<LinkState>> GetLinkStatesAsync(int jobId, CancellationToken ct) => Db<IReadOnlyList<LinkState>>(async conn =>
    {
        return (await conn.QueryAsync<LinkState>(new CommandDefinition("""
            SELECT bv.id AS LinkId, bv.idvms AS VmId, v.vm AS Vm, v.image AS Image, bv.lastrun AS LastRun, bv.success AS Success
            FROM backup_vms bv JOIN vms v ON v.idvms = bv.idvms
            WHERE bv.idbackup_jobs = @jobId ORDER BY v.vm, v.image, bv.id
            """, SqlArgs.Of(new { jobId }), cancellationToken: ct)));
    }, ct);

    public Task<int> CountPointsAsync(int? jobId, string? vm, string? image, CancellationToken ct) => Db<int>(async conn =>
    {
        var filters = new List<string> { "status IN ('ok', 'unverified', 'deleting')" };
        if (jobId is not null) filters.Add("job_id = @jobId");
        if (vm is not null) filters.Add("vm = @vm");
        if (image is not null) filters.Add("image = @image");
        return await conn.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT COUNT(*) FROM cephbackup_points WHERE {string.Join(" AND ", filters)}", SqlArgs.Of(new { jobId, vm, image }), cancellationToken: ct));
    }, ct);
}
