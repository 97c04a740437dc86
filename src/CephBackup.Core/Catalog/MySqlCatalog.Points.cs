using MySqlConnector;

namespace CephBackup.Core.Catalog;

public sealed partial class MySqlCatalog
{
    private const string PointColumns = """
        id AS Id, job_id AS JobId, job_name AS JobName, link_id AS LinkId, vm AS Vm, image AS Image,
        chain AS Chain, point AS Point, type AS Type, base_point AS BasePoint, snapshot AS Snapshot,
        file_path AS FilePath, size_bytes AS SizeBytes, image_size_bytes AS ImageSizeBytes, sha256 AS Sha256,
        status AS Status, started_at AS StartedAt, ended_at AS EndedAt, verified_at AS VerifiedAt,
        format AS Format, stream_size_bytes AS StreamSizeBytes, stream_sha256 AS StreamSha256, consistency AS Consistency
        """;

    private const string InsertPoint = """
        INSERT INTO cephbackup_points (job_id, job_name, link_id, vm, image, chain, point, type, base_point, snapshot,
            file_path, size_bytes, image_size_bytes, sha256, status, started_at, ended_at, verified_at,
            format, stream_size_bytes, stream_sha256, consistency)
        VALUES (@JobId, @JobName, @LinkId, @Vm, @Image, @Chain, @Point, @Type, @BasePoint, @Snapshot,
            @FilePath, @SizeBytes, @ImageSizeBytes, @Sha256, @Status, @StartedAt, @EndedAt, @VerifiedAt,
            @Format, @StreamSizeBytes, @StreamSha256, @Consistency);
        SELECT LAST_INSERT_ID();
        """;

    private const string InsertLog = """
        INSERT INTO backup_log (job, vm, timestart, timeend, type, result, path, error, backup_cmd)
        VALUES (@Job, @Vm, @TimeStart, @TimeEnd, @Type, @Result, @Path, @Error, @BackupCmd)
        """;

    public Task<IReadOnlyList<BackupPoint>> GetPointsAsync(int? jobId, string? vm, string? image, CancellationToken ct) => Db<IReadOnlyList<BackupPoint>>(async conn =>
    {
        var filters = new List<string>();
        if (jobId is not null) filters.Add("job_id = @jobId");
        if (vm is not null) filters.Add("vm = @vm");
        if (image is not null) filters.Add("image = @image");
        var where = filters.Count == 0 ? "" : "WHERE " + string.Join(" AND ", filters);
        var rows = await conn.QueryAsync<PointRow>(new CommandDefinition(
            $"SELECT {PointColumns} FROM cephbackup_points {where} ORDER BY image, chain, point, job_id, id",
            SqlArgs.Of(new { jobId, vm, image }), cancellationToken: ct));
        return rows.Select(r => r.ToPoint()).ToList();
    }, ct);

    public async Task<long> RecordPointAsync(BackupPoint point, BackupLogEntry log, CancellationToken ct)
    {
        var committing = false;
        try
        {
            await using var conn = await _ds.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var id = await conn.ExecuteScalarAsync<long>(new CommandDefinition(InsertPoint, PointArgs(point), tx, cancellationToken: ct));
            await UpdateLinkAsync(conn, tx, point.LinkId,
                "UPDATE backup_vms SET inc = @Point, `full` = @Chain, success = 1 WHERE id = @LinkId",
                SqlArgs.Of(new { point.Point, point.Chain, point.LinkId }), ct);
            await conn.ExecuteAsync(new CommandDefinition(InsertLog, CatalogRules.LogArgs(log), tx, cancellationToken: ct));
            // Before COMMIT is sent a failure rolls everything back; once it is sent, a lost connection
            // leaves the outcome unknown, and the caller must look before it undoes the point.
            committing = true;
            await tx.CommitAsync(ct);
            return id;
        }
        catch (Exception e) when (CatalogErrors.IsDuplicateKey(e))
        {
            throw new CatalogException($"restore point {point.RestorePoint} of {point.Image} is already recorded for job {point.JobName}", e);
        }
        catch (Exception e) when (CatalogErrors.IsDriverError(e) || (committing && e is OperationCanceledException))
        {
            throw CatalogErrors.Wrap(e, outcomeUnknown: committing);
        }
    }

    public Task RecordFailureAsync(int linkId, BackupLogEntry log, CancellationToken ct) => Db(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await UpdateLinkAsync(conn, tx, linkId, "UPDATE backup_vms SET success = 0 WHERE id = @linkId", SqlArgs.Of(new { linkId }), ct);
        await conn.ExecuteAsync(new CommandDefinition(InsertLog, CatalogRules.LogArgs(log), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    // A vanished backup_vms row means the job was edited under us; recording against nothing would leave
    // a point whose counters nobody owns, so the whole transaction is rolled back instead.
    private static async Task UpdateLinkAsync(MySqlConnection conn, MySqlTransaction tx, int linkId, string sql, SqlArgs args, CancellationToken ct)
    {
        // MySqlConnector reports found rows (UseAffectedRows=false), so 0 means missing, not unchanged.
        var found = await conn.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: ct));
        if (found == 0)
            throw new CatalogException($"backup_vms row {linkId} does not exist (job changed during the run?)");
    }

    public Task<bool> ImportPointAsync(BackupPoint point, CancellationToken ct) => Db(async conn =>
    {
        // A plain INSERT plus the duplicate-key error, not INSERT IGNORE: IGNORE would also turn
        // truncation and NOT NULL errors into warnings and store damaged rows silently.
        try
        {
            await conn.ExecuteAsync(new CommandDefinition(InsertPoint, PointArgs(point), cancellationToken: ct));
            return true;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            return false;
        }
    }, ct);

    public async Task SetPointStatusAsync(IReadOnlyCollection<long> ids, string status, CancellationToken ct)
    {
        if (!CatalogRules.IsKnownStatus(status)) throw new ArgumentException($"unknown point status '{status}'", nameof(status));
        if (ids.Count == 0) return;
        await ExecAsync("UPDATE cephbackup_points SET status = @status WHERE id IN @ids", SqlArgs.Of(new { ids, status }), ct);
    }

    public async Task DeletePointsAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await ExecAsync("DELETE FROM cephbackup_points WHERE id IN @ids", SqlArgs.Of(new { ids }), ct);
    }

    public Task SetVerifiedAsync(long id, DateTime utc, CancellationToken ct) =>
        ExecAsync("UPDATE cephbackup_points SET verified_at = @utc WHERE id = @id", SqlArgs.Of(new { id, utc }), ct);

    private static SqlArgs PointArgs(BackupPoint p)
    {
        if (!CatalogRules.IsKnownStatus(p.Status)) throw new ArgumentException($"unknown point status '{p.Status}'", nameof(p));
        return SqlArgs.Of(new
        {
            p.JobId, p.JobName, p.LinkId, p.Vm, p.Image, p.Chain, p.Point, Type = p.Type.ToDb(), p.BasePoint, p.Snapshot,
            p.FilePath, p.SizeBytes, p.ImageSizeBytes, p.Sha256, p.Status, p.StartedAt, p.EndedAt, p.VerifiedAt,
            p.Format, p.StreamSizeBytes, p.StreamSha256, p.Consistency,
        });
    }

    // The type is stored as text; mapping through PointTypes keeps one definition of the spelling.
    private sealed class PointRow
    {
        public long Id { get; init; }
        public int JobId { get; init; }
        public string JobName { get; init; } = "";
        public int LinkId { get; init; }
        public string Vm { get; init; } = "";
        public string Image { get; init; } = "";
        public int Chain { get; init; }
        public int Point { get; init; }
        public string Type { get; init; } = "";
        public int? BasePoint { get; init; }
        public string Snapshot { get; init; } = "";
        public string FilePath { get; init; } = "";
        public long SizeBytes { get; init; }
        public long ImageSizeBytes { get; init; }
        public string? Sha256 { get; init; }
        public string Status { get; init; } = "";
        public DateTime StartedAt { get; init; }
        public DateTime EndedAt { get; init; }
        public DateTime? VerifiedAt { get; init; }
        public string? Format { get; init; }
        public long? StreamSizeBytes { get; init; }
        public string? StreamSha256 { get; init; }
        public string? Consistency { get; init; }

        public BackupPoint ToPoint() => new()
        {
            Id = Id, JobId = JobId, JobName = JobName, LinkId = LinkId, Vm = Vm, Image = Image, Chain = Chain,
            Point = Point, Type = PointTypes.FromDb(Type), BasePoint = BasePoint, Snapshot = Snapshot,
            FilePath = FilePath, SizeBytes = SizeBytes, ImageSizeBytes = ImageSizeBytes, Sha256 = Sha256,
            Status = Status, StartedAt = StartedAt, EndedAt = EndedAt, VerifiedAt = VerifiedAt,
            Format = Format, StreamSizeBytes = StreamSizeBytes, StreamSha256 = StreamSha256, Consistency = Consistency,
        };
    }
}
