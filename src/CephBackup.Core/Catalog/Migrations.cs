using MySqlConnector;

namespace CephBackup.Core.Catalog;

/// <summary>One additive schema step. <see cref="Apply"/> must be idempotent: see <see cref="Migrator"/>.</summary>
internal sealed record Migration(int Version, string Name, Func<MigrationContext, Task> Apply);

internal sealed record MigrationContext(MySqlConnection Connection, MySqlTransaction Transaction, CancellationToken Ct)
{
    public Task ExecAsync(string sql, SqlArgs? args = null) =>
        Connection.ExecuteAsync(new CommandDefinition(sql, args, Transaction, cancellationToken: Ct));

    public async Task<bool> TableExistsAsync(string table) =>
        await Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table",
            SqlArgs.Of(new { table }), Transaction, cancellationToken: Ct)) > 0;

    /// <summary>The column's EXTRA (e.g. "auto_increment"), or null when the column does not exist.</summary>
    public Task<string?> ColumnExtraAsync(string table, string column) =>
        Connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table AND COLUMN_NAME = @column",
            SqlArgs.Of(new { table, column }), Transaction, cancellationToken: Ct));

    /// <summary>True when some index (any name, user-made ones included) starts with the column, so it already serves lookups.</summary>
    public async Task<bool> HasIndexLeadingWithAsync(string table, string column) =>
        await Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table AND COLUMN_NAME = @column AND SEQ_IN_INDEX = 1",
            SqlArgs.Of(new { table, column }), Transaction, cancellationToken: Ct)) > 0;
}

/// <summary>
/// The schema history. Only additive steps (new tables, nullable columns, AUTO_INCREMENT, indexes), so the
/// PHP scripts keep working against a migrated database. Never edit a released step; append a new one.
/// </summary>
internal static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "base tables", BaseTablesAsync),
        new(2, "auto increment", AutoIncrementAsync),
        new(3, "job mode", JobModeAsync),
        new(4, "cephbackup tables", CephBackupTablesAsync),
        new(5, "indexes", IndexesAsync),
        new(6, "job max_parallel", JobMaxParallelAsync),
        new(7, "compression", CompressionAsync),
        new(8, "libvirt name and point consistency", ConsistencyAsync),
        new(9, "leases", LeaseTables.CreateAsync),
    ];

    public static int Latest => All.Max(m => m.Version);

    // The PHP DDL exactly (types, defaults, comments, column order), so a fresh install and an
    // existing PHP installation converge on the same layout after the later steps.
    private static readonly string[] PhpTables =
    [
        """
        CREATE TABLE IF NOT EXISTS `backup_jobs` (
          `idbackup_jobs` int(11) NOT NULL,
          `name` varchar(128) DEFAULT NULL,
          `max_inc` int(11) DEFAULT 0 COMMENT 'Number of incremental backups before a new FULL',
          `enabled` int(11) DEFAULT 1,
          `lastrun` datetime DEFAULT NULL,
          `lastcompletion` datetime DEFAULT NULL,
          `path` varchar(128) DEFAULT NULL,
          `checkmount` int(11) DEFAULT 0,
          `retention` int(11) DEFAULT 10 COMMENT 'Number of full backup to retain (no deletion)',
          `mountpoint` varchar(45) DEFAULT NULL,
          `snap-prefix` varchar(10) DEFAULT NULL,
          `max-snaps` int(11) DEFAULT 5,
          PRIMARY KEY (`idbackup_jobs`))
        """,
        """
        CREATE TABLE IF NOT EXISTS `vms` (
          `idvms` int(11) NOT NULL,
          `vm` varchar(45) DEFAULT NULL,
          `image` varchar(128) DEFAULT NULL,
          PRIMARY KEY (`idvms`))
        """,
        """
        CREATE TABLE IF NOT EXISTS `backup_vms` (
          `idbackup_jobs` int(11) DEFAULT NULL,
          `idvms` int(11) DEFAULT NULL,
          `id` int(11) NOT NULL,
          `inc` int(11) DEFAULT 0,
          `full` int(11) DEFAULT 0,
          `lastrun` datetime DEFAULT NULL,
          `success` int(11) DEFAULT NULL,
          PRIMARY KEY (`id`))
        """,
        """
        CREATE TABLE IF NOT EXISTS `backup_log` (
          `idbackup_log` int(11) NOT NULL,
          `job` varchar(45) DEFAULT NULL,
          `vm` varchar(128) DEFAULT NULL,
          `timestart` datetime DEFAULT NULL,
          `timeend` datetime DEFAULT NULL,
          `type` varchar(6) DEFAULT NULL,
          `result` varchar(20) DEFAULT '0',
          `path` varchar(255) DEFAULT NULL,
          `error` text DEFAULT NULL,
          `backup_cmd` text DEFAULT NULL,
          PRIMARY KEY (`idbackup_log`))
        """,
        """
        CREATE TABLE IF NOT EXISTS `backup_days` (
          `idbackup_job` int(11) DEFAULT NULL,
          `1` int(11) DEFAULT NULL, `2` int(11) DEFAULT NULL, `3` int(11) DEFAULT NULL, `4` int(11) DEFAULT NULL,
          `5` int(11) DEFAULT NULL, `6` int(11) DEFAULT NULL, `7` int(11) DEFAULT NULL,
          `id` int(11) NOT NULL,
          PRIMARY KEY (`id`))
        """,
        """
        CREATE TABLE IF NOT EXISTS `backup_weeks` (
          `idbackup_job` int(11) DEFAULT NULL,
          `1` int(11) DEFAULT NULL, `2` int(11) DEFAULT NULL, `3` int(11) DEFAULT NULL, `4` int(11) DEFAULT NULL,
          `5` int(11) DEFAULT NULL,
          `id` int(11) NOT NULL,
          PRIMARY KEY (`id`))
        """,
    ];

    private static async Task BaseTablesAsync(MigrationContext c)
    {
        foreach (var ddl in PhpTables) await c.ExecAsync(ddl);
    }

    private static readonly (string Table, string Column)[] IdColumns =
    [
        ("backup_jobs", "idbackup_jobs"), ("vms", "idvms"), ("backup_vms", "id"),
        ("backup_log", "idbackup_log"), ("backup_days", "id"), ("backup_weeks", "id"),
    ];

    private static async Task AutoIncrementAsync(MigrationContext c)
    {
        // Without NO_AUTO_VALUE_ON_ZERO, turning a column into AUTO_INCREMENT renumbers an existing id 0
        // (the PHP tool could write one into backup_log), which rewrites history or fails on a duplicate key.
        var saved = await c.Connection.ExecuteScalarAsync<string>(
            new CommandDefinition("SELECT @@SESSION.sql_mode", transaction: c.Transaction, cancellationToken: c.Ct));
        await c.ExecAsync("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')");
        try
        {
            foreach (var (table, column) in IdColumns)
            {
                var extra = await c.ColumnExtraAsync(table, column)
                    ?? throw new InvalidOperationException($"column {table}.{column} is missing");
                if (extra.Contains("auto_increment", StringComparison.OrdinalIgnoreCase)) continue;
                await c.ExecAsync($"ALTER TABLE `{table}` MODIFY `{column}` int(11) NOT NULL AUTO_INCREMENT");
            }
        }
        finally
        {
            await c.ExecAsync("SET SESSION sql_mode = @saved", SqlArgs.Of(new { saved }));
        }
    }

    private static async Task JobModeAsync(MigrationContext c)
    {
        if (await c.ColumnExtraAsync("backup_jobs", "mode") is null)
            await c.ExecAsync("ALTER TABLE `backup_jobs` ADD COLUMN `mode` varchar(16) NULL DEFAULT NULL");
    }

    private static async Task CephBackupTablesAsync(MigrationContext c)
    {
        await c.ExecAsync("""
            CREATE TABLE IF NOT EXISTS `cephbackup_points` (
              `id` bigint NOT NULL AUTO_INCREMENT,
              `job_id` int NOT NULL,
              `job_name` varchar(128) NOT NULL,
              `link_id` int NOT NULL,
              `vm` varchar(45) NOT NULL,
              `image` varchar(128) NOT NULL,
              `chain` int NOT NULL,
              `point` int NOT NULL,
              `type` varchar(16) NOT NULL,
              `base_point` int NULL,
              `snapshot` varchar(200) NOT NULL,
              `file_path` varchar(1024) NOT NULL,
              `size_bytes` bigint NOT NULL,
              `image_size_bytes` bigint NOT NULL,
              `sha256` char(64) NULL,
              `status` varchar(16) NOT NULL,
              `started_at` datetime(3) NOT NULL,
              `ended_at` datetime(3) NOT NULL,
              `verified_at` datetime(3) NULL,
              PRIMARY KEY (`id`),
              UNIQUE KEY `ux_points_job_image_chain_point` (`job_id`, `image`, `chain`, `point`),
              KEY `ix_points_vm` (`vm`),
              KEY `ix_points_link` (`link_id`)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """);
        await c.ExecAsync("""
            CREATE TABLE IF NOT EXISTS `cephbackup_job_locks` (
              `job_id` int NOT NULL,
              `host` varchar(255) NULL,
              `pid` int NULL,
              `started_at` datetime(3) NULL,
              `connection_id` bigint NULL,
              PRIMARY KEY (`job_id`)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """);
    }

    private static async Task IndexesAsync(MigrationContext c)
    {
        (string Table, string Column, string Index)[] wanted =
        [
            ("backup_vms", "idbackup_jobs", "ix_backup_vms_job"),
            ("backup_vms", "idvms", "ix_backup_vms_vm"),
            ("vms", "vm", "ix_vms_vm"),
        ];
        foreach (var (table, column, index) in wanted)
        {
            if (!await c.HasIndexLeadingWithAsync(table, column))
                await c.ExecAsync($"CREATE INDEX `{index}` ON `{table}` (`{column}`)");
        }
    }

    private static async Task JobMaxParallelAsync(MigrationContext c)
    {
        if (await c.ColumnExtraAsync("backup_jobs", "max_parallel") is null)
            await c.ExecAsync("ALTER TABLE `backup_jobs` ADD COLUMN `max_parallel` int NULL DEFAULT NULL");
    }

    /// <summary>
    /// Per-job compression and, per point, how it is stored: <c>size_bytes</c>/<c>sha256</c> stay those of the
    /// stored file (what verify re-reads); <c>stream_*</c> describe the rbd diff stream inside it.
    /// </summary>
    private static async Task CompressionAsync(MigrationContext c)
    {
        if (await c.ColumnExtraAsync("backup_jobs", "compression") is null)
            await c.ExecAsync("ALTER TABLE `backup_jobs` ADD COLUMN `compression` varchar(16) NULL DEFAULT NULL");
        (string Column, string Type)[] points = [("format", "varchar(16)"), ("stream_size_bytes", "bigint"), ("stream_sha256", "char(64)")];
        foreach (var (column, type) in points)
            if (await c.ColumnExtraAsync("cephbackup_points", column) is null)
                await c.ExecAsync($"ALTER TABLE `cephbackup_points` ADD COLUMN `{column}` {type} NULL DEFAULT NULL");
    }

    private static async Task ConsistencyAsync(MigrationContext c)
    {
        if (await c.ColumnExtraAsync("vms", "libvirt_name") is null)
            await c.ExecAsync("ALTER TABLE `vms` ADD COLUMN `libvirt_name` varchar(128) NULL DEFAULT NULL");
        if (await c.ColumnExtraAsync("cephbackup_points", "consistency") is null)
            await c.ExecAsync("ALTER TABLE `cephbackup_points` ADD COLUMN `consistency` varchar(16) NULL DEFAULT NULL");
    }
}
