#!/usr/bin/env bash
# bench-mount.sh - `cephbackup mount` (NBD) against reading the chain's files, in one run (the mount part of bench.sh).
#
# Not a test: it prints figures and never fails on timing.
#   throughput  a BENCH_MOUNT_MIB image of random data, a full + 3 incrementals (5% rewritten each):
#               cold `cat` of the chain's files > /dev/null  vs  cold `nbdcopy URI null:` of the export
#               (the export is the image: fewer bytes than the chain when diffs overwrite the full)
#   first byte  a BENCH_TTFB_MIB (16 GiB) image, a sparse full + 10 incrementals: seconds from starting
#               `cephbackup mount` to the first 512 bytes read by a client, --verify background and first
# Usage: scripts/bench-mount.sh     (BENCH_MOUNT_MIB=1024 BENCH_TTFB_MIB=16384 BENCH_REPS=3 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MIB=${BENCH_MOUNT_MIB:-1024}
TTFB_MIB=${BENCH_TTFB_MIB:-16384}
REPS=${BENCH_REPS:-3}
WORK=${BENCH_MOUNT_DIR:-/var/tmp/cephbackup-bench-mount}
POOL=${CEPH_MICRO_POOL:-rbd}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '[bench-mount %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f", b-a}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print a[(NR+1)/2]} else {printf "%.3f\n",(a[NR/2]+a[NR/2+1])/2}}'; }

eval "$(bash scripts/ceph-micro.sh start | grep '^export ')"
eval "$(bash scripts/mariadb-micro.sh start | grep '^export ')"
RBD=(rbd -c "$CEPH_CONF")
rm -rf "$WORK"; mkdir -p "$WORK/backup"
log "publishing cephbackup (Release)"
dotnet publish src/CephBackup -c Release -r linux-x64 -o "$WORK/bin" >/dev/null
CB="$WORK/bin/cephbackup"
DBNAME=cbtest_benchmount
MPID=
cleanup() {
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null || true
  for i in $("${RBD[@]}" ls -p "$POOL" 2>/dev/null | grep '^benchm-' || true); do
    "${RBD[@]}" snap purge --no-progress "$POOL/$i" >/dev/null 2>&1 || true
    "${RBD[@]}" rm --no-progress "$POOL/$i" >/dev/null 2>&1 || true
  done
  mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" -e "DROP DATABASE IF EXISTS $DBNAME" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
SQL() { mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$DBNAME" -N -e "$1"; }
mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" -e "DROP DATABASE IF EXISTS $DBNAME; CREATE DATABASE $DBNAME"
cat >"$WORK/cephbackup.json" <<EOF
{ "Database": { "ConnectionString": "Server=$MARIADB_HOST;Port=$MARIADB_PORT;Database=$DBNAME;User ID=$MARIADB_USER;Password=$MARIADB_PASSWORD" },
  "Ceph": { "Pool": "$POOL", "ConfFile": "$CEPH_CONF", "TimeoutSeconds": 60 },
  "Mail": { "Enabled": false },
  "Serilog": { "Using": ["Serilog.Sinks.File"], "MinimumLevel": { "Default": "Information" },
               "WriteTo": [ { "Name": "File", "Args": { "path": "$WORK/logs/cb-.log" } } ] } }
EOF
export CEPHBACKUP_CONFIG=$WORK/cephbackup.json
"$CB" db migrate >/dev/null

fill() { # image sizeMiB percent-of-4MiB-objects: random data through a hand-made diff stream
  python3 - "$2" "$3" <<'PY' | "${RBD[@]}" import-diff --no-progress - "$POOL/$1"
import os, random, struct, sys
size_mib, pct = int(sys.argv[1]), float(sys.argv[2])
o = sys.stdout.buffer
o.write(b"rbd diff v1\n" + b"s" + struct.pack("<Q", size_mib << 20))
objs = list(range(size_mib // 4))
for i in sorted(random.sample(objs, max(1, int(len(objs) * pct / 100)))):
    o.write(b"w" + struct.pack("<QQ", i << 22, 4 << 20) + os.urandom(4 << 20))
o.write(b"e")
PY
}

chain() { # id job image sizeMiB full% diffs diff% : makes a backed-up chain
  local id=$1 job=$2 img=$3
  "${RBD[@]}" create --size "${4}M" "$POOL/$img"; fill "$img" "$4" "$5"
  SQL "INSERT INTO backup_jobs (idbackup_jobs,name,max_inc,enabled,path,retention,\`snap-prefix\`,\`max-snaps\`) VALUES ($id,'$job',100,0,'$WORK/backup',100,'BM',100);
       INSERT INTO vms (idvms,vm,image) VALUES ($id,'benchvm$id','$img'); INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES ($id,$id,$id);"
  "$CB" exec --job "$job" >/dev/null
  for d in $(seq 1 "$6"); do fill "$img" "$4" "$7"; "$CB" exec --job "$job" >/dev/null; done
}

# Starts a mount in the background; sets MPID and URI once it prints its address.
mount_start() {
  "$CB" mount "$@" >"$WORK/mount.out" 2>"$WORK/mount.err" & MPID=$!
  for _ in $(seq 1 600); do
    URI=$(sed -n 's/.*read-only at \([^ ]*\).*/\1/p' "$WORK/mount.out"); [ -n "$URI" ] && return 0
    kill -0 "$MPID" 2>/dev/null || { cat "$WORK/mount.err" >&2; return 1; }
    sleep 0.01
  done
  return 1
}
# SIGTERM, not SIGINT: a non-interactive shell starts background jobs with SIGINT ignored.
mount_stop() { kill -TERM "$MPID"; wait "$MPID" || true; MPID=; }

# Seconds from starting `mount` to the first 512 bytes read by a libnbd client polling the socket.
ttfb() { # job image point verify
  local sock="$WORK/ttfb.sock" s
  drop; s=$(now)
  "$CB" mount "$1" "$2" "$3" --listen "unix:$sock" --verify "$4" >"$WORK/mount.out" 2>&1 & MPID=$!
  /usr/bin/python3 - "$sock" <<'PY'
import nbd, sys, time
while True:
    try:
        h = nbd.NBD(); h.connect_unix(sys.argv[1]); h.pread(512, 0); break
    except nbd.Error:
        time.sleep(0.005)
PY
  T=$(since "$s"); mount_stop
}

declare -A R
log "== throughput: ${MIB} MiB random, full + 3 incrementals of 5%"
chain 1 BMT benchm-t "$MIB" 100 3 5
files=$(ls "$WORK"/backup/BMT/benchvm1/benchm-t/000001/?????? | sort)
point=000001-$(basename "$(echo "$files" | tail -1)")
chainbytes=$(cat $files | wc -c)
mount_start BMT benchm-t "$point" --listen "unix:$WORK/t.sock" --verify background
for r in $(seq 1 "$REPS"); do
  log "rep $r/$REPS"
  drop; s=$(now); cat $files >/dev/null; R[cat]+=" $(since "$s")"
  drop; s=$(now); nbdcopy "$URI" null:; R[nbdcopy]+=" $(since "$s")"
  drop; s=$(now); nbdcopy -C 1 "$URI" null:; R[nbdcopy1]+=" $(since "$s")"
done
mount_stop

log "== first byte: ${TTFB_MIB} MiB, sparse full (3%) + 10 incrementals (0.5% each)"
chain 2 BMF benchm-f "$TTFB_MIB" 3 10 0.5
fpoint=000001-000010
extents=$(grep -o '[0-9]* extents' "$WORK"/logs/*.log | tail -1 || true)
for r in $(seq 1 "$REPS"); do
  ttfb BMF benchm-f "$fpoint" background; R[ttfbbg]+=" $T"
  ttfb BMF benchm-f "$fpoint" first; R[ttfbfirst]+=" $T"
done
extents=$(grep -ho 'Mount .* extents ([0-9]* bytes of index)' "$WORK"/logs/*.log | tail -1)

c=$(median <<<"${R[cat]}"); n=$(median <<<"${R[nbdcopy]}"); n1=$(median <<<"${R[nbdcopy1]}")
echo
echo "mount benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, BENCH_MOUNT_MIB=$MIB BENCH_TTFB_MIB=$TTFB_MIB BENCH_REPS=$REPS):"
echo
echo "| what | seconds (median) | MiB/s | ratio to cat |"
echo "|---|---|---|---|"
awk -v b="$chainbytes" -v c="$c" 'BEGIN{printf "| cold cat of the chain files (%.0f MiB) > /dev/null | %s | %.0f | 1.00 |\n", b/1048576, c, b/1048576/c}'
awk -v m="$MIB" -v n="$n" -v c="$c" 'BEGIN{printf "| cold nbdcopy of the export (%d MiB) to null: (nbdcopy defaults) | %s | %.0f | %.2f |\n", m, n, m/n, c/n}'
awk -v m="$MIB" -v n="$n1" -v c="$c" 'BEGIN{printf "| cold nbdcopy -C 1 (one connection) | %s | %.0f | %.2f |\n", n, m/n, c/n}'
echo "| first byte, ${TTFB_MIB} MiB + 10 diffs, --verify background | $(median <<<"${R[ttfbbg]}") | | |"
echo "| first byte, ${TTFB_MIB} MiB + 10 diffs, --verify first | $(median <<<"${R[ttfbfirst]}") | | |"
echo
echo "Index: $extents. Raw runs:"
for k in $(printf '%s\n' "${!R[@]}" | sort); do echo "- \`$k\`:${R[$k]}"; done
