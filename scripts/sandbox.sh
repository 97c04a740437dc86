#!/usr/bin/env bash
# sandbox.sh - try cephbackup by hand against the local Ceph micro cluster and MariaDB.
#
# Starts the services (reusing running ones; they are left running afterwards, also when this script
# started them, because the point is to keep using them), writes a sandbox configuration to
# $SANDBOX_DIR/cephbackup.json and creates the catalog schema with `cephbackup db migrate`.
#
# Settings (environment): SANDBOX_DIR (default /tmp/cephbackup-sandbox), plus those of ceph-micro.sh
# (CEPH_MICRO_DIR, CEPH_MICRO_POOL) and mariadb-micro.sh (MARIADB_MICRO_PORT, _DB, _USER, _PASSWORD).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SANDBOX_DIR=${SANDBOX_DIR:-/tmp/cephbackup-sandbox}
CONFIG=$SANDBOX_DIR/cephbackup.json
POOL=${CEPH_MICRO_POOL:-rbd}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '[sandbox %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# JSON string body: the password may be overridden with any characters.
json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '%s' "$s"
}

bash scripts/install-deps.sh --if-missing

out=$(bash scripts/ceph-micro.sh start)
eval "$(grep '^export ' <<<"$out")"
out=$(bash scripts/mariadb-micro.sh start)
eval "$(grep '^export ' <<<"$out")"
: "${CEPH_CONF:?ceph-micro.sh printed no CEPH_CONF}" "${MARIADB_DATABASE:?mariadb-micro.sh printed no MARIADB_DATABASE}"

mkdir -p "$SANDBOX_DIR/logs"
# Written anew each time so that it always matches the running services; the config holds a password.
umask 077
connection="Server=$MARIADB_HOST;Port=$MARIADB_PORT;Database=$MARIADB_DATABASE;User ID=$MARIADB_USER;Password=$MARIADB_PASSWORD;DateTimeKind=Utc"
cat >"$CONFIG" <<JSON
{
  "Database": {
    "ConnectionString": "$(json_escape "$connection")"
  },
  "Ceph": {
    "Pool": "$(json_escape "$POOL")",
    "ConfFile": "$(json_escape "$CEPH_CONF")",
    "TimeoutSeconds": 30
  },
  "Mail": {
    "Enabled": false
  },
  "Serilog": {
    "Using": ["Serilog.Sinks.Console", "Serilog.Sinks.File"],
    "MinimumLevel": { "Default": "Information", "Override": { "MySqlConnector": "Warning" } },
    "Enrich": ["FromLogContext"],
    "WriteTo": [
      { "Name": "Console", "Args": { "standardErrorFromLevel": "Warning" } },
      {
        "Name": "File",
        "Args": {
          "path": "$(json_escape "$SANDBOX_DIR/logs/cephbackup-.log")",
          "rollingInterval": "Day",
          "retainedFileCountLimit": 14,
          "outputTemplate": "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {JobId} {Message:lj}{NewLine}{Exception}"
        }
      }
    ]
  }
}
JSON
log "wrote $CONFIG"

log "dotnet run --project src/CephBackup -- --config $CONFIG db migrate"
rc=0
dotnet run --project src/CephBackup -- --config "$CONFIG" db migrate || rc=$?
if [ "$rc" != 0 ]; then
  log "ERROR: 'cephbackup db migrate' failed with exit code $rc (config: $CONFIG)"
  exit "$rc"
fi

# A VM with one disk holding data, a job backing it up, and two runs of exec: full, then incremental.
RBD=(rbd -c "$CEPH_CONF")
SQL() { mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$MARIADB_DATABASE" -N -e "$1"; }
CB=(dotnet run --project src/CephBackup -- --config "$CONFIG")
IMAGE=sandbox-vm1-disk0
BACKUP_ROOT=$SANDBOX_DIR/backup
if ! "${RBD[@]}" info "$POOL/$IMAGE" >/dev/null 2>&1; then
  log "creating image $POOL/$IMAGE (256 MiB, 32 MiB of data written)"
  "${RBD[@]}" create --size 256M "$POOL/$IMAGE"
  "${RBD[@]}" bench --io-type write --io-size 4M --io-pattern seq --io-total 32M "$POOL/$IMAGE" >/dev/null
fi
if [ "$(SQL "SELECT COUNT(*) FROM backup_jobs WHERE name = 'SANDBOX'")" = 0 ]; then
  log "adding job SANDBOX (max_inc 3) for VM sandbox-vm1 -> $BACKUP_ROOT"
  mkdir -p "$BACKUP_ROOT"
  SQL "INSERT INTO backup_jobs (name, max_inc, enabled, path, retention, \`snap-prefix\`, \`max-snaps\`) VALUES ('SANDBOX', 3, 1, '$BACKUP_ROOT', 2, 'SBX', 5);
       INSERT INTO vms (vm, image) VALUES ('sandbox-vm1', '$IMAGE');
       INSERT INTO backup_vms (idbackup_jobs, idvms) SELECT j.idbackup_jobs, v.idvms FROM backup_jobs j, vms v WHERE j.name = 'SANDBOX' AND v.image = '$IMAGE';"
fi
log "cephbackup exec (1/2)"
"${CB[@]}" exec --job SANDBOX
"${RBD[@]}" bench --io-type write --io-size 64K --io-pattern rand --io-total 4M "$POOL/$IMAGE" >/dev/null
log "cephbackup exec (2/2) after writing 4 MiB more"
"${CB[@]}" exec --job SANDBOX
echo
echo "Backup tree:"
find "$BACKUP_ROOT" | sort | sed "s|^$BACKUP_ROOT|  $BACKUP_ROOT|"
echo
"${CB[@]}" list sandbox-vm1

cat <<EOF

Sandbox ready. The services stay running.
  config   : $CONFIG
  logs     : $SANDBOX_DIR/logs/
  run      : dotnet run --project src/CephBackup -- --config $CONFIG <verb> [args]
             e.g. restore SANDBOX $IMAGE 000001-000001 restored-disk0
  ceph     : export CEPH_CONF=$CEPH_CONF; rbd -p $POOL ls
  database : mariadb -h$MARIADB_HOST -P$MARIADB_PORT -u$MARIADB_USER -p'<password in config>' $MARIADB_DATABASE
  stop     : scripts/ceph-micro.sh stop; scripts/mariadb-micro.sh stop   (only if nobody else uses them)
EOF
