using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>Who takes a lease: reported by "already running" and kept in the row for the admin.</summary>
internal sealed record LeaseOwner(string Host, int Pid, DateTime StartedUtc);

/// <summary>The result of one take: the keys now ours, the ones done in this run already, or the row that holds us off.</summary>
internal sealed record TakeResult(IReadOnlyList<string> Taken, IReadOnlyList<string> Done, LeaseRow? HeldBy);

/// <summary>
/// The SQL of <c>cephbackup_leases</c>. Every write is a conditional INSERT/UPDATE inside a transaction, on a
/// pooled connection: the lease lives in the row, not in a session, so it works the same on one server, on
/// Galera (where GET_LOCK is node-local) and on Group Replication (which does not certify named locks). On a
/// cluster two nodes may each believe the row is free; certification lets one commit win and fails the other,
/// which <see cref="LeaseRules.IsLostRace"/> turns into a retry that then reads the winner's row.
/// </summary>
internal sealed class LeaseStore(string connectionString, int leaseSeconds)
{
    private readonly string _cs = CatalogConnection.Normalize(connectionString);

    public int LeaseSeconds { get; } = leaseSeconds;

    /// <summary>Takes every key or none (a VM's disks are claimed together).</summary>
    public Task<TakeResult> TakeAsync(string kind, IReadOnlyList<string> keys, LeaseWant want, LeaseOwner owner, string token, CancellationToken ct) =>
        RetryLostRacesAsync(async () =>
        {
            await using var conn = await OpenAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var taken = new List<string>();
            var done = new List<string>();
            foreach (var key in keys)
            {
                var row = await ReadAsync(conn, tx, kind, key, forUpdate: true, ct);
                var step = LeaseRules.Decide(row, want);
                switch (step)
                {
                    case LeaseStep.Held:
                        await tx.RollbackAsync(ct);
                        return new TakeResult([], [], row);
                    case LeaseStep.AlreadyDone:
                        done.Add(key);
                        continue;
                }
                var args = SqlArgs.Of(new
                {
                    kind, key, token, mode = LeaseRules.ModeName(want.Mode), run = want.RunId, owner.Host, owner.Pid,
                    started = owner.StartedUtc, secs = LeaseSeconds, seen = row?.OwnerToken,
                });
                var changed = await conn.ExecuteAsync(new CommandDefinition(step switch
                {
                    LeaseStep.Insert => """
                        INSERT INTO cephbackup_leases (kind, lease_key, owner_token, mode, run_id, holders, host, pid, started_at,
                            acquired_at, renewed_at, expires_at, done_at)
                        VALUES (@kind, @key, @token, @mode, @run, 1, @Host, @Pid, @started,
                            UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL @secs SECOND, NULL)
                        """,
                    LeaseStep.TakeOver => """
                        UPDATE cephbackup_leases SET owner_token = @token, mode = @mode, run_id = @run, holders = 1, host = @Host,
                            pid = @Pid, started_at = @started, acquired_at = UTC_TIMESTAMP(6), renewed_at = UTC_TIMESTAMP(6),
                            expires_at = UTC_TIMESTAMP(6) + INTERVAL @secs SECOND, done_at = NULL
                        WHERE kind = @kind AND lease_key = @key AND owner_token = @seen AND expires_at <= UTC_TIMESTAMP(6)
                        """,
                    _ => """
                        UPDATE cephbackup_leases SET holders = holders + 1, renewed_at = UTC_TIMESTAMP(6),
                            expires_at = GREATEST(expires_at, UTC_TIMESTAMP(6) + INTERVAL @secs SECOND)
                        WHERE kind = @kind AND lease_key = @key AND mode = 'worker' AND run_id = @run AND expires_at > UTC_TIMESTAMP(6)
                        """,
                }, args, tx, cancellationToken: ct));
                // Only possible when the row changed between our read and our write: somebody else won.
                if (changed != 1) throw new LostRaceException();
                taken.Add(key);
            }
            await tx.CommitAsync(ct);
            return new TakeResult(taken, done, null);
        }, ct);

    /// <summary>Pushes the expiry of our rows; the number of rows still ours (fewer than expected = lost).</summary>
    public Task<int> RenewAsync(string kind, IReadOnlyList<string> keys, string token, CancellationToken ct) =>
        WriteAsync("""
            UPDATE cephbackup_leases SET renewed_at = UTC_TIMESTAMP(6), expires_at = UTC_TIMESTAMP(6) + INTERVAL @secs SECOND
            WHERE kind = @kind AND lease_key IN @keys AND owner_token = @token AND done_at IS NULL AND expires_at > UTC_TIMESTAMP(6)
            """, SqlArgs.Of(new { kind, keys, token, secs = LeaseSeconds }), ct);

    /// <summary>Workers share the job row of their run: any of them keeps it alive.</summary>
    public Task<int> RenewRunAsync(string key, string runId, CancellationToken ct) =>
        WriteAsync("""
            UPDATE cephbackup_leases SET renewed_at = UTC_TIMESTAMP(6),
                expires_at = GREATEST(expires_at, UTC_TIMESTAMP(6) + INTERVAL @secs SECOND)
            WHERE kind = 'job' AND lease_key = @key AND mode = 'worker' AND run_id = @runId AND expires_at > UTC_TIMESTAMP(6)
            """, SqlArgs.Of(new { key, runId, secs = LeaseSeconds }), ct);

    /// <summary>Lets our rows expire now. The token filter keeps a later holder's row intact.</summary>
    public Task<int> ReleaseAsync(string kind, IReadOnlyList<string> keys, string token, CancellationToken ct) =>
        WriteAsync("""
            UPDATE cephbackup_leases SET expires_at = LEAST(expires_at, UTC_TIMESTAMP(6))
            WHERE kind = @kind AND lease_key IN @keys AND owner_token = @token AND done_at IS NULL
            """, SqlArgs.Of(new { kind, keys, token }), ct);

    /// <summary>One worker leaves the run; the last one out frees the job (a dead worker keeps it until expiry).</summary>
    public Task<int> LeaveRunAsync(string key, string runId, CancellationToken ct) =>
        WriteAsync("""
            UPDATE cephbackup_leases SET expires_at = IF(holders <= 1, UTC_TIMESTAMP(6), expires_at), holders = GREATEST(holders - 1, 0)
            WHERE kind = 'job' AND lease_key = @key AND mode = 'worker' AND run_id = @runId AND expires_at > UTC_TIMESTAMP(6)
            """, SqlArgs.Of(new { key, runId }), ct);

    /// <summary>
    /// Marks an image backed up in its run. Our token still in the row means nobody took the claim over, so
    /// this holds even if the claim expired a moment ago (the point is already in the catalog).
    /// </summary>
    public Task<int> MarkDoneAsync(string key, string token, CancellationToken ct) =>
        WriteAsync("""
            UPDATE cephbackup_leases SET done_at = UTC_TIMESTAMP(6), expires_at = LEAST(expires_at, UTC_TIMESTAMP(6))
            WHERE kind = 'image' AND lease_key = @key AND owner_token = @token
            """, SqlArgs.Of(new { key, token }), ct);

    /// <summary>The live holder of a row, or null when it is free.</summary>
    public Task<LeaseRow?> ReadLiveAsync(string kind, string key, CancellationToken ct) =>
        RetryLostRacesAsync(async () =>
        {
            await using var conn = await OpenAsync(ct);
            var row = await ReadAsync(conn, null, kind, key, forUpdate: false, ct);
            return row is { Live: true } ? row : null;
        }, ct);

    private async Task<int> WriteAsync(string sql, SqlArgs args, CancellationToken ct) =>
        await RetryLostRacesAsync(async () =>
        {
            await using var conn = await OpenAsync(ct);
            return await conn.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct));
        }, ct);

    private async Task<MySqlConnection> OpenAsync(CancellationToken ct)
    {
        var conn = new MySqlConnection(_cs);
        try { await conn.OpenAsync(ct); }
        catch { await conn.DisposeAsync(); throw; }
        return conn;
    }

    private static async Task<LeaseRow?> ReadAsync(MySqlConnection conn, MySqlTransaction? tx, string kind, string key, bool forUpdate, CancellationToken ct)
    {
        var r = await conn.QuerySingleOrDefaultAsync<RawRow>(new CommandDefinition($"""
            SELECT owner_token AS OwnerToken, mode AS Mode, run_id AS RunId, expires_at > UTC_TIMESTAMP(6) AS Live,
                   done_at IS NOT NULL AS Done, holders AS Holders, host AS Host, pid AS Pid, started_at AS StartedAt
            FROM cephbackup_leases WHERE kind = @kind AND lease_key = @key{(forUpdate ? " FOR UPDATE" : "")}
            """, SqlArgs.Of(new { kind, key }), tx, cancellationToken: ct));
        return r is null ? null : new LeaseRow(r.OwnerToken, LeaseRules.ParseMode(r.Mode), r.RunId, r.Live != 0, r.Done != 0,
            r.Holders, r.Host, r.Pid, DateTime.SpecifyKind(r.StartedAt, DateTimeKind.Utc));
    }

    private static async Task<T> RetryLostRacesAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        for (var i = 0; ; i++)
        {
            try { return await attempt(); }
            catch (Exception e) when (IsRace(e) && i < LeaseRules.RaceRetries)
            {
                await Task.Delay(LeaseRules.RetryDelay(i, Random.Shared.NextDouble()), ct);
            }
            catch (Exception e) when (IsRace(e))
            {
                // After the retries the winner's row is committed and a taker reads "held"; only a row that keeps
                // changing under us ends here.
                throw new CephBackupException(ExitCode.DatabaseError, "lease: the catalog kept refusing our write to a contended lease row (lost races)");
            }
            catch (Exception e) when (e is MySqlException or IOException or System.Net.Sockets.SocketException)
            {
                // Driver errors never leave Catalog/ (main's CatalogErrors.Wrap does the same; use it when merging).
                throw new CephBackupException(ExitCode.DatabaseError, $"catalog database: {e.Message.ReplaceLineEndings(" ")}", e);
            }
        }
    }

    private static bool IsRace(Exception e) => e is LostRaceException || (e is MySqlException m && LeaseRules.IsLostRace(m.Number));

    private sealed class LostRaceException : Exception;

    private sealed class RawRow
    {
        public string OwnerToken { get; init; } = "";
        public string Mode { get; init; } = "";
        public string? RunId { get; init; }
        public long Live { get; init; }
        public long Done { get; init; }
        public int Holders { get; init; }
        public string Host { get; init; } = "";
        public int Pid { get; init; }
        public DateTime StartedAt { get; init; }
    }
}
