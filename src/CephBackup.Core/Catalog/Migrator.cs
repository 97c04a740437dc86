using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>What <see cref="Migrator.MigrateAsync"/> did: the names of the steps it applied (empty when already current).</summary>
public sealed record MigrationResult(int? FromVersion, int ToVersion, IReadOnlyList<string> Applied)
{
    public bool Changed => Applied.Count > 0;
}

/// <summary>
/// Brings a database (empty, or created by the PHP tool) to the current schema, recording each step in
/// <c>cephbackup_schema_version</c>.
/// </summary>
/// <remarks>
/// Each step runs inside a transaction, but MySQL/MariaDB commit implicitly on every DDL statement, so a
/// crash can leave a step half applied and unrecorded. That is safe only because every step checks
/// information_schema (or uses IF NOT EXISTS) before each change: re-running it finishes the work and
/// changes nothing that is already there.
/// </remarks>
public sealed class Migrator(string connectionString)
{
    private const string LockName = "cephbackup.migrate";
    private const int LockTimeoutSeconds = 30;

    public static int LatestVersion => Migrations.Latest;

    public async Task<MigrationResult> MigrateAsync(CancellationToken ct)
    {
        try { return await MigrateLockedOnceAsync(ct); }
        catch (Exception e) when (CatalogErrors.IsDriverError(e)) { throw CatalogErrors.Wrap(e); }
    }

    private async Task<MigrationResult> MigrateLockedOnceAsync(CancellationToken ct)
    {
        await using var conn = new MySqlConnection(CatalogConnection.Dedicated(connectionString));
        await conn.OpenAsync(ct);

        // Two hosts upgrading at once would both see a step as missing and race on the same ALTER.
        var got = await conn.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT GET_LOCK(@name, @timeout)", SqlArgs.Of(new { name = LockName, timeout = LockTimeoutSeconds }), cancellationToken: ct));
        if (got != 1)
            throw new CephBackupException(ExitCode.DatabaseError,
                $"another schema migration holds the lock '{LockName}' (waited {LockTimeoutSeconds} s)");
        try
        {
            return await MigrateLockedAsync(conn, ct);
        }
        finally
        {
            // A non-pooled close would release it too; explicit release keeps the lock window minimal.
            await conn.ExecuteAsync(new CommandDefinition("DO RELEASE_LOCK(@name)", SqlArgs.Of(new { name = LockName }), cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The highest recorded schema version, or null for a database never touched by this tool.</summary>
    public async Task<int?> CurrentVersionAsync(CancellationToken ct = default)
    {
        try
        {
            await using var conn = new MySqlConnection(CatalogConnection.Dedicated(connectionString));
            await conn.OpenAsync(ct);
            return await ReadVersionAsync(conn, ct);
        }
        catch (Exception e) when (CatalogErrors.IsDriverError(e))
        {
            throw CatalogErrors.Wrap(e);
        }
    }

    private static async Task<MigrationResult> MigrateLockedAsync(MySqlConnection conn, CancellationToken ct)
    {
        await conn.ExecuteAsync(new CommandDefinition("""
            CREATE TABLE IF NOT EXISTS `cephbackup_schema_version` (
              `version` int NOT NULL,
              `name` varchar(100) NOT NULL,
              `applied_at` datetime NOT NULL,
              PRIMARY KEY (`version`)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """, cancellationToken: ct));

        var from = await ReadVersionAsync(conn, ct);
        var done = (await conn.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM cephbackup_schema_version", cancellationToken: ct))).ToHashSet();

        var applied = new List<string>();
        foreach (var m in Migrations.All.Where(m => !done.Contains(m.Version)))
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await m.Apply(new MigrationContext(conn, tx, ct));
            await conn.ExecuteAsync(new CommandDefinition(
                "INSERT INTO cephbackup_schema_version (version, name, applied_at) VALUES (@Version, @Name, UTC_TIMESTAMP())",
                SqlArgs.Of(new { m.Version, m.Name }), tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            applied.Add(m.Name);
        }
        return new MigrationResult(from, await ReadVersionAsync(conn, ct) ?? 0, applied);
    }

    private static async Task<int?> ReadVersionAsync(MySqlConnection conn, CancellationToken ct)
    {
        var exists = await conn.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cephbackup_schema_version'",
            cancellationToken: ct));
        if (exists == 0) return null;
        return await conn.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT MAX(version) FROM cephbackup_schema_version", cancellationToken: ct));
    }
}
