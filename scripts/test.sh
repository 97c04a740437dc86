#!/usr/bin/env bash
# test.sh - THE test command of cephbackup (CI runs it through .ci/run).
#
# Usage:
#   scripts/test.sh [dotnet test args...]          unit + integration tests against real Ceph and MariaDB
#   scripts/test.sh --unit [dotnet test args...]   unit tests only; needs no services
#   e.g. scripts/test.sh --filter 'FullyQualifiedName~Mail'
#
# Services: a Ceph micro cluster (scripts/ceph-micro.sh), MariaDB (scripts/mariadb-micro.sh) and a
# three-node Galera cluster (scripts/galera-micro.sh, own dir and ports) are reused when already running, otherwise started, and at the end only the ones this script started are stopped
# (KEEP_SERVICES=1 leaves them running for the next run). Missing Debian packages are installed first.
#
# Output: TRX files in artifacts/test-results/; the last line is "N passed, N failed" (", N skipped" when
# some tests did not run). Exit status 0 only if nothing failed and no test run crashed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RESULTS=$ROOT/artifacts/test-results
UNIT_PROJECT=tests/CephBackup.Tests/CephBackup.Tests.csproj
INTEGRATION_PROJECT=tests/CephBackup.IntegrationTests/CephBackup.IntegrationTests.csproj
# An rbd call can block forever on an unhealthy cluster; a hung test host must end as a failed run long
# before CI's 90-minute limit, not silently eat it.
HANG_TIMEOUT=${TEST_HANG_TIMEOUT:-15m}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

UNIT_ONLY=0
TEST_ARGS=()
for arg in "$@"; do
  if [ "$arg" = --unit ]; then UNIT_ONLY=1; else TEST_ARGS+=("$arg"); fi
done

log() { printf '[test.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

CEPH_STARTED=0
MARIADB_STARTED=0
GALERA_STARTED=0

stop_started_services() {
  if [ "${KEEP_SERVICES:-0}" = 1 ]; then
    [ "$CEPH_STARTED$MARIADB_STARTED$GALERA_STARTED" = 000 ] || log "KEEP_SERVICES=1: leaving the services this run started running"
    CEPH_STARTED=0 MARIADB_STARTED=0 GALERA_STARTED=0
    return 0
  fi
  if [ "$GALERA_STARTED" = 1 ]; then
    GALERA_STARTED=0
    bash scripts/galera-micro.sh stop || log "WARNING: stopping Galera failed"
  fi
  if [ "$MARIADB_STARTED" = 1 ]; then
    MARIADB_STARTED=0
    bash scripts/mariadb-micro.sh stop || log "WARNING: stopping MariaDB failed"
  fi
  if [ "$CEPH_STARTED" = 1 ]; then
    CEPH_STARTED=0
    bash scripts/ceph-micro.sh stop || log "WARNING: stopping Ceph failed"
  fi
}
trap stop_started_services EXIT
# Without these, bash ends on a signal without running the EXIT trap, leaving our daemons behind.
trap 'exit 130' INT
trap 'exit 143' TERM

start_services() {
  local out status
  # Captured first: `status | grep -q` would let grep's early exit SIGPIPE the script and, with pipefail,
  # read a running cluster as stopped (and then stop it at the end).
  status=$(bash scripts/ceph-micro.sh status 2>/dev/null || true)
  if grep -q '^mon.a running' <<<"$status"; then
    log "Ceph already running: reusing it (it will be left running)"
  else
    log "starting Ceph (scripts/ceph-micro.sh)"
    # Set before starting so that a start failing halfway is still cleaned up.
    CEPH_STARTED=1
  fi
  # Also for a running cluster: restarts a missing osd/mgr and waits until the pool answers.
  out=$(bash scripts/ceph-micro.sh start)
  eval "$(grep '^export ' <<<"$out")"

  status=$(bash scripts/mariadb-micro.sh status 2>/dev/null || true)
  if grep -q '^mariadbd running' <<<"$status"; then
    log "MariaDB already running: reusing it (it will be left running)"
  else
    log "starting MariaDB (scripts/mariadb-micro.sh)"
    MARIADB_STARTED=1
  fi
  out=$(bash scripts/mariadb-micro.sh start)
  eval "$(grep '^export ' <<<"$out")"

  # The fleet tests' cluster: never the shared single server (3307); a node of it may be stopped by a test.
  status=$(bash scripts/galera-micro.sh status 2>/dev/null || true)
  if grep -q '^node1 running' <<<"$status"; then
    log "Galera already running: reusing it (it will be left running)"
  else
    log "starting Galera (scripts/galera-micro.sh)"
    GALERA_STARTED=1
  fi
  out=$(bash scripts/galera-micro.sh start)
  eval "$(grep '^export ' <<<"$out")"

  : "${CEPH_CONF:?scripts/ceph-micro.sh start printed no CEPH_CONF}" "${MARIADB_PASSWORD:?scripts/mariadb-micro.sh start printed no MARIADB_PASSWORD}"
  export CEPH_CONF CEPHBACKUP_TEST_POOL=${CEPHBACKUP_TEST_POOL:-rbd}
  export MARIADB_HOST MARIADB_PORT MARIADB_USER MARIADB_PASSWORD
  : "${GALERA_PORTS:?scripts/galera-micro.sh start printed no GALERA_PORTS}"
  export GALERA_HOST GALERA_PORTS GALERA_USER GALERA_PASSWORD GALERA_MICRO_DIR GALERA_MICRO_BASE_PORT
  log "services: CEPH_CONF=$CEPH_CONF pool=$CEPHBACKUP_TEST_POOL mariadb=$MARIADB_USER@$MARIADB_HOST:$MARIADB_PORT"
}

# Runs one test project into $RESULTS/<name>.trx; records crashes (non-zero exit without a failed test).
declare -A RUN_RC=()
run_tests() {
  local name=$1 project=$2 rc=0
  shift 2
  log "dotnet test $project"
  dotnet test "$project" --no-build -c Release \
    --results-directory "$RESULTS" --logger "trx;LogFileName=$name.trx" \
    "$@" ${TEST_ARGS[@]+"${TEST_ARGS[@]}"} || rc=$?
  RUN_RC[$name]=$rc
}

# Prints the value of one attribute of the <Counters .../> element of a TRX file (0 if absent).
counter() {
  local v
  v=$(grep -o '<Counters [^>]*>' "$2" | head -1 | grep -o "[[:space:]]$1=\"[0-9]*\"" | grep -o '[0-9]\+' || true)
  echo "${v:-0}"
}

if [ "$UNIT_ONLY" = 0 ]; then
  bash scripts/install-deps.sh --if-missing
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

log "dotnet build -c Release"
dotnet build CephBackup.sln -c Release
if [ "$UNIT_ONLY" = 0 ]; then
  # The binary that ships is native (Native AOT); Cli/NativeBinaryTests runs it against the real services.
  log "dotnet publish (Native AOT) -> artifacts/native"
  dotnet publish src/CephBackup -c Release -r linux-x64 -o "$ROOT/artifacts/native" >/dev/null
  export CEPHBACKUP_NATIVE_BIN=$ROOT/artifacts/native/cephbackup
fi

NAMES=(unit)
run_tests unit "$UNIT_PROJECT"
if [ "$UNIT_ONLY" = 0 ]; then
  start_services
  NAMES+=(integration)
  run_tests integration "$INTEGRATION_PROJECT" --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none
fi

# Stopped before the summary so that their log lines cannot come after the counts line.
stop_started_services

passed=0 failed=0 skipped=0 broken=0
for name in "${NAMES[@]}"; do
  trx=$RESULTS/$name.trx
  if [ ! -f "$trx" ]; then
    log "ERROR: $name tests wrote no TRX (exit ${RUN_RC[$name]}): the test run crashed or did not start"
    broken=$((broken + 1))
    continue
  fi
  total=$(counter total "$trx")
  p=$(counter passed "$trx")
  # error/timeout/aborted are failures too: a test that never finished must not look like a skip.
  f=$(( $(counter failed "$trx") + $(counter error "$trx") + $(counter timeout "$trx") + $(counter aborted "$trx") ))
  s=$(( total - p - f ))
  (( s < 0 )) && s=0
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  if [ "${RUN_RC[$name]}" != 0 ] && [ "$f" = 0 ]; then
    log "ERROR: $name tests exited with ${RUN_RC[$name]} but no test failed: the test run crashed or was aborted"
    broken=$((broken + 1))
  fi
done

# A crashed run counts as one failure, so that a reader of the counts line alone never sees a green run.
failed=$((failed + broken))
summary="$passed passed, $failed failed"
(( skipped > 0 )) && summary+=", $skipped skipped"
echo "$summary"
(( failed == 0 ))
