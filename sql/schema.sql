-- The current cephbackup catalog schema: what `Migrator` (src/CephBackup.Core/Catalog/Migrations.cs)
-- produces, both on an empty database and on one created from php-original-dump.sql.
-- For humans reading the data model; the migrations are the source of truth, and an integration
-- test checks that this file and a migrated database have identical columns, indexes and engines.
--
-- The six PHP tables keep their original columns, types and order (the PHP scripts still work);
-- additions are: AUTO_INCREMENT ids (v2), backup_jobs.mode (v3), cephbackup_* tables (v4),
-- lookup indexes (v5), backup_jobs.max_parallel (v6), compression (v7: backup_jobs.compression,
-- cephbackup_points.format/stream_*), vms.libvirt_name and cephbackup_points.consistency (v8),
-- cephbackup_leases (v9). They carry no explicit charset, like the PHP dump: they take the database default.

CREATE TABLE `backup_jobs` (
  `idbackup_jobs` int(11) NOT NULL AUTO_INCREMENT,
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
  `mode` varchar(16) DEFAULT NULL,          -- NULL / 'incremental' / 'differential' (v3)
  `max_parallel` int(11) DEFAULT NULL,      -- NULL = Backup:Parallelism; lower caps this job's images at once (v6)
  `compression` varchar(16) DEFAULT NULL,   -- NULL / 'none' / 'zstd' (level 3) / 'zstd:N', N = 1..19 (v7)
  PRIMARY KEY (`idbackup_jobs`)
);

-- One row per disk image; several rows share `vm` for a multi-disk VM.
CREATE TABLE `vms` (
  `idvms` int(11) NOT NULL AUTO_INCREMENT,
  `vm` varchar(45) DEFAULT NULL,
  `image` varchar(128) DEFAULT NULL,
  `libvirt_name` varchar(128) DEFAULT NULL, -- libvirt domain when it differs from `vm` (v8)
  PRIMARY KEY (`idvms`),
  KEY `ix_vms_vm` (`vm`)
);

-- Job <-> image membership and chain counters (`full` = chain, `inc` = last point in it).
CREATE TABLE `backup_vms` (
  `idbackup_jobs` int(11) DEFAULT NULL,
  `idvms` int(11) DEFAULT NULL,
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `inc` int(11) DEFAULT 0,
  `full` int(11) DEFAULT 0,
  `lastrun` datetime DEFAULT NULL,
  `success` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_backup_vms_job` (`idbackup_jobs`),
  KEY `ix_backup_vms_vm` (`idvms`)
);

-- Per-image history in the PHP format (job and vm by name), still written for compatibility.
CREATE TABLE `backup_log` (
  `idbackup_log` int(11) NOT NULL AUTO_INCREMENT,
  `job` varchar(45) DEFAULT NULL,
  `vm` varchar(128) DEFAULT NULL,
  `timestart` datetime DEFAULT NULL,
  `timeend` datetime DEFAULT NULL,
  `type` varchar(6) DEFAULT NULL,
  `result` varchar(20) DEFAULT '0',
  `path` varchar(255) DEFAULT NULL,
  `error` text DEFAULT NULL,
  `backup_cmd` text DEFAULT NULL,
  PRIMARY KEY (`idbackup_log`)
);

-- Day-of-week filter: `1` = Monday ... `7` = Sunday; non-NULL and non-zero = run that day.
CREATE TABLE `backup_days` (
  `idbackup_job` int(11) DEFAULT NULL,
  `1` int(11) DEFAULT NULL,
  `2` int(11) DEFAULT NULL,
  `3` int(11) DEFAULT NULL,
  `4` int(11) DEFAULT NULL,
  `5` int(11) DEFAULT NULL,
  `6` int(11) DEFAULT NULL,
  `7` int(11) DEFAULT NULL,
  `id` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`)
);

-- Week-of-month filter: `n` = days 7n-6 .. 7n of the month.
CREATE TABLE `backup_weeks` (
  `idbackup_job` int(11) DEFAULT NULL,
  `1` int(11) DEFAULT NULL,
  `2` int(11) DEFAULT NULL,
  `3` int(11) DEFAULT NULL,
  `4` int(11) DEFAULT NULL,
  `5` int(11) DEFAULT NULL,
  `id` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`)
);

-- One row per restore point, inserted only after the file was written and verified.
CREATE TABLE `cephbackup_points` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `job_id` int NOT NULL,
  `job_name` varchar(128) NOT NULL,
  `link_id` int NOT NULL,                   -- backup_vms.id at backup time
  `vm` varchar(45) NOT NULL,
  `image` varchar(128) NOT NULL,
  `chain` int NOT NULL,
  `point` int NOT NULL,                     -- 0 = the full of the chain
  `type` varchar(16) NOT NULL,              -- full / incremental / differential
  `base_point` int NULL,                    -- point the diff starts from; NULL for a full
  `snapshot` varchar(200) NOT NULL,
  `file_path` varchar(1024) NOT NULL,
  `size_bytes` bigint NOT NULL,
  `image_size_bytes` bigint NOT NULL,
  `sha256` char(64) NULL,
  `status` varchar(16) NOT NULL,            -- ok / unverified / deleting
  `started_at` datetime(3) NOT NULL,        -- UTC
  `ended_at` datetime(3) NOT NULL,
  `verified_at` datetime(3) NULL,
  `format` varchar(16) NULL DEFAULT NULL,   -- 'plain' (file_path) / 'zstd' (file_path + '.zst'); NULL = plain, before v7
  `stream_size_bytes` bigint NULL DEFAULT NULL, -- the rbd diff stream inside the stored file (v7)
  `stream_sha256` char(64) NULL DEFAULT NULL,
  `consistency` varchar(16) NULL,           -- crash / fs-frozen; NULL = unknown (older or imported) (v8)
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_points_job_image_chain_point` (`job_id`, `image`, `chain`, `point`),
  KEY `ix_points_vm` (`vm`),
  KEY `ix_points_link` (`link_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Who holds the MySQL named lock `cephbackup.job.<id>`; meaningful only while that lock is in use.
CREATE TABLE `cephbackup_job_locks` (
  `job_id` int NOT NULL,
  `host` varchar(255) NULL,
  `pid` int NULL,
  `started_at` datetime(3) NULL,
  `connection_id` bigint NULL,              -- CONNECTION_ID() of the lock connection
  PRIMARY KEY (`job_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Job leases and image claims (docs/SCALING.md). A row is free once expires_at (database clock) has passed.
CREATE TABLE `cephbackup_leases` (
  `kind` varchar(16) NOT NULL,              -- 'job' (one per job) or 'image' (claim of one image by a worker)
  `lease_key` varchar(255) NOT NULL,        -- job id, or job id/pool/image
  `owner_token` char(32) NOT NULL,          -- random per holder: only the holder renews or releases
  `mode` varchar(16) NOT NULL,              -- 'exclusive' (plain exec) or 'worker' (exec --worker, shared by a run)
  `run_id` varchar(64) NULL,                -- the run workers share (the schedule day); image rows: done in that run
  `holders` int NOT NULL DEFAULT 1,         -- workers in the run (a dead one still counts until expiry)
  `host` varchar(255) NOT NULL,
  `pid` int NOT NULL,
  `started_at` datetime(3) NOT NULL,        -- UTC, when the holder's run started
  `acquired_at` datetime(6) NOT NULL,       -- UTC, database clock
  `renewed_at` datetime(6) NOT NULL,
  `expires_at` datetime(6) NOT NULL,
  `done_at` datetime(6) NULL,               -- image rows: backed up in run_id
  PRIMARY KEY (`kind`, `lease_key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `cephbackup_schema_version` (
  `version` int NOT NULL,
  `name` varchar(100) NOT NULL,
  `applied_at` datetime NOT NULL,           -- UTC
  PRIMARY KEY (`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
