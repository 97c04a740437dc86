namespace CephBackup.Core.Catalog;

/// <summary>Migration 9: the lease table (job leases and image claims, see <see cref="LeaseStore"/>).</summary>
internal static class LeaseTables
{
    // One row per (kind, key), reused across runs: a row is free when expires_at has passed, so a holder that
    // died leaves nothing to clean up. Times are the database's UTC_TIMESTAMP(6), never a host's clock.
    public static Task CreateAsync(MigrationContext c) => c.ExecAsync("""
        CREATE TABLE IF NOT EXISTS `cephbackup_leases` (
          `kind` varchar(16) NOT NULL,
          `lease_key` varchar(255) NOT NULL,
          `owner_token` char(32) NOT NULL,
          `mode` varchar(16) NOT NULL,
          `run_id` varchar(64) NULL,
          `holders` int NOT NULL DEFAULT 1,
          `host` varchar(255) NOT NULL,
          `pid` int NOT NULL,
          `started_at` datetime(3) NOT NULL,
          `acquired_at` datetime(6) NOT NULL,
          `renewed_at` datetime(6) NOT NULL,
          `expires_at` datetime(6) NOT NULL,
          `done_at` datetime(6) NULL,
          PRIMARY KEY (`kind`, `lease_key`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
        """);
}
