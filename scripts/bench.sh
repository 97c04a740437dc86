#!/usr/bin/env bash
# bench.sh - cephbackup against raw rbd, side by side in one run, on the local micro cluster.
#
# Not a test: it prints figures and ratios and never fails on timing. For each size it fills an image
# with random (incompressible) data, then alternates baseline and tool REPS times:
#   full backup   raw: rbd export-diff img@snap - > file; sync file      tool: cephbackup exec (full)
#   restore       raw: rbd create + rbd import-diff file new-image       tool: cephbackup restore
#   incremental   after rewriting 5% of the image (raw export-diff --from-snap vs cephbackup exec)
#   unchanged     cephbackup exec of an image with no change since its last point
# The tool's figures include everything it does: snapshot, SHA-256, fsync, sidecars, catalog, mail.
# Peak RSS comes from /usr/bin/time. Results go to stdout and docs/BENCHMARKS.md.
#
# Usage: scripts/bench.sh                 (BENCH_SIZES_MIB="1024 8192" BENCH_REPS=3 by default)
#        BENCH_PARTS=zstd scripts/bench.sh  (compression only: plain vs zstd, see scripts/bench-zstd.sh)
#        BENCH_PARTS=exec scripts/bench.sh  (exec only: fixed costs, unchanged incremental, Parallelism 1 vs 2)
#        BENCH_DIR, BENCH_DB: work folder and database name, for a run beside another one
#        BENCH_BIN: use this build output (e.g. src/CephBackup/bin/Release/net10.0) instead of publishing
#        BENCH_SIZES_MIB=256 BENCH_REPS=1 scripts/bench.sh     (quick check)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=${BENCH_SIZES_MIB:-"1024 8192"}
REPS=${BENCH_REPS:-3}
WORK=${BENCH_DIR:-/var/tmp/cephbackup-bench}
OUT=${BENCH_OUT:-$ROOT/docs/BENCHMARKS.md}
POOL=${CEPH_MICRO_POOL:-rbd}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f", b-a}'; }
# Both sides start from the same cold page cache (the previous step's files would otherwise be reclaimed
# during the next one's writes), as rbd-throughput.sh does.
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; settle; }
# ...and from an idle OSD: removing the previous step's 1 GiB image leaves bluestore deleting objects for
# seconds, work that would otherwise land in the next timed step (its effect alone was not measured).
# Waits until the OSD uses under 10 % of a core over half a second (at most 20 s).
settle() {
  local a b i
  for i in $(seq 1 40); do
    a=$(osd_ticks) || return 0; sleep 0.5
    b=$(osd_ticks) || return 0
    [ $((b - a)) -lt 5 ] && return 0
  done
}
# CPU ticks of the OSD process (user + system); fails when there is none.
osd_ticks() { local p; p=$(pgrep -o ceph-osd) && awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if(NR==0){print "nan"} else if(NR%2){print a[(NR+1)/2]} else {printf "%.3f\n",(a[NR/2]+a[NR/2+1])/2}}'; }

eval "$(bash scripts/ceph-micro.sh start | grep '^export ')"
eval "$(bash scripts/mariadb-micro.sh start | grep '^export ')"
RBD=(rbd -c "$CEPH_CONF")

rm -rf "$WORK"; mkdir -p "$WORK/backup"
if [ -n "${BENCH_BIN:-}" ]; then CB="$BENCH_BIN/cephbackup"; log "using $CB (BENCH_BIN, not published)"; else
log "publishing cephbackup (Release)"
dotnet publish src/CephBackup -c Release -r linux-x64 -o "$WORK/bin" >/dev/null
CB="$WORK/bin/cephbackup"
fi

SMTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -W ignore -m smtpd -n -c DebuggingServer "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1 &
SMTP_PID=$!
DBNAME=${BENCH_DB:-cbtest_bench}
cleanup() {
  kill "$SMTP_PID" 2>/dev/null || true
  for i in $("${RBD[@]}" ls -p "$POOL" 2>/dev/null | grep '^bench-' || true); do
    "${RBD[@]}" snap purge --no-progress "$POOL/$i" >/dev/null 2>&1 || true
    "${RBD[@]}" rm --no-progress "$POOL/$i" >/dev/null 2>&1 || true
  done
  mariadb --defaults-file=/tmp/mariadb/my.cnf -e "DROP DATABASE IF EXISTS $DBNAME" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
SQL() { mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" "$DBNAME" -N -e "$1"; }
mariadb --no-defaults -h"$MARIADB_HOST" -P"$MARIADB_PORT" -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" -e "DROP DATABASE IF EXISTS $DBNAME; CREATE DATABASE $DBNAME"
cat >"$WORK/cephbackup.json" <<EOF
{ "Database": { "ConnectionString": "Server=$MARIADB_HOST;Port=$MARIADB_PORT;Database=$DBNAME;User ID=$MARIADB_USER;Password=$MARIADB_PASSWORD" },
  "Ceph": { "Pool": "$POOL", "ConfFile": "$CEPH_CONF", "TimeoutSeconds": 60 },
  "Mail": { "Enabled": true, "Host": "127.0.0.1", "Port": $SMTP_PORT, "Security": "None", "From": "bench@localhost", "To": ["admin@localhost"] },
  "Serilog": { "Using": ["Serilog.Sinks.File"], "MinimumLevel": { "Default": "Information" },
               "WriteTo": [ { "Name": "File", "Args": { "path": "$WORK/logs/cb-.log" } } ] } }
EOF
export CEPHBACKUP_CONFIG=$WORK/cephbackup.json
"$CB" db migrate >/dev/null

# One timed run of the tool; sets T (seconds) and RSS (peak KiB of cephbackup itself). /usr/bin/time's %M
# would include the largest waited-for child, i.e. rbd (rbd export-diff alone peaks at ~250 MB here), so
# the process's own VmHWM (a high-water mark the kernel keeps) is sampled from /proc while it runs. T comes
# from `wait`, not from the sampling loop: polling with awk every 50 ms, as this did before, cost the tool
# 0.4-1.3 s of export time on 2 cores and added up to one tick to T.
tool() {
  local s pid spid rc=0; s=$(now)
  "$CB" "$@" >"$WORK/tool.out" 2>"$WORK/tool.err" & pid=$!
  hwm_sampler "$pid" >"$WORK/tool.hwm" & spid=$!
  wait "$pid" || rc=$?
  T=$(since "$s")
  wait "$spid" 2>/dev/null || true
  RSS=$(tail -n 1 "$WORK/tool.hwm"); RSS=${RSS:-0}
  [ "$rc" = 0 ] || { cat "$WORK/tool.err" >&2; return 1; }
}
# Prints each new peak VmHWM (KiB) of PID until it is gone: bash builtins and one sleep a tick, no awk.
hwm_sampler() {
  local pid=$1 hwm=0 k h
  while kill -0 "$pid" 2>/dev/null; do
    { while read -r k h _; do
        if [ "$k" = VmHWM: ] && [ "$h" -gt "$hwm" ]; then hwm=$h; echo "$hwm"; fi
      done <"/proc/$pid/status"; } 2>/dev/null || true
    sleep 0.1
  done
}
# Random data at offsets through a hand-made diff stream: writes without a kernel mapping.
fill() { # image sizeMiB percent-of-objects
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }

# Replaces the part of $OUT between <!-- NAME:begin --> and <!-- NAME:end --> with FILE (appended when absent):
# each section of the bench owns its part of docs/BENCHMARKS.md, and hand-written notes elsewhere survive.
write_section() { # NAME FILE
  python3 - "$OUT" "$2" "$1" <<'PY'
import re, sys
out, sec, name = sys.argv[1], open(sys.argv[2]).read().rstrip("\n"), sys.argv[3]
try: doc = open(out).read()
except FileNotFoundError: doc = "# Benchmarks\n"
pat = re.compile(r"<!-- " + name + r":begin -->.*?<!-- " + name + r":end -->", re.S)
doc = pat.sub(lambda m: sec, doc) if pat.search(doc) else doc.rstrip("\n") + "\n\n" + sec + "\n"
open(out, "w").write(doc)
PY
  log "$1 section written to $OUT"
}

# BENCH_PARTS=zstd: only the compression section (scripts/bench-zstd.sh), which updates its own part of $OUT.
if [ "${BENCH_PARTS:-main}" = zstd ]; then source "$ROOT/scripts/bench-zstd.sh"; bench_zstd; exit 0; fi
# BENCH_PARTS=exec: only exec's fixed costs and parallel images (scripts/bench-exec.sh), its own part of $OUT.
if [ "${BENCH_PARTS:-main}" = exec ]; then source "$ROOT/scripts/bench-exec.sh"; bench_exec; exit 0; fi

declare -A R
job=0
# --- restore of a chain (issue #11): raw `rbd create` + `rbd import-diff FILE` of a full and 3 incrementals,
# in order, against `cephbackup restore` of the last point (which hashes each file while rbd imports it).
# Its own section so other parts of the bench can change independently. BENCH_CHAIN_MIB=0 skips it;
# BENCH_ONLY=restore-chain runs only this section.
restore_chain() {
  local S=${BENCH_CHAIN_MIB:-1024} img=bench-chain j=$((++job)) r s files
  [ "$S" -gt 0 ] || return 0
  log "== restore of a chain: ${S} MiB full + 3 incrementals"
  "${RBD[@]}" create --size "${S}M" "$POOL/$img"
  fill "$img" "$S" 100
  SQL "INSERT INTO backup_jobs (idbackup_jobs,name,max_inc,enabled,path,retention,\`snap-prefix\`,\`max-snaps\`) VALUES ($j,'BC',1000,0,'$WORK/backup',100,'BC',100);
       INSERT INTO vms (idvms,vm,image) VALUES ($j,'benchchain','$img'); INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES ($j,$j,$j);"
  "$CB" exec --job BC >/dev/null 2>&1
  for r in 1 2 3; do fill "$img" "$S" 5; "$CB" exec --job BC >/dev/null 2>&1; done
  files=$(ls "$WORK"/backup/BC/benchchain/$img/000001/?????? | sort)
  R[chain,bytes]=$(cat $files | wc -c)
  for r in $(seq 1 "$REPS"); do
    log "restore of a chain rep $r/$REPS"
    drop; s=$(now); "${RBD[@]}" create --size "${S}M" "$POOL/bench-cr"
    for f in $files; do "${RBD[@]}" import-diff --no-progress "$f" "$POOL/bench-cr"; done; R[chain,raw]+=" $(since "$s")"
    "${RBD[@]}" snap purge --no-progress "$POOL/bench-cr"; "${RBD[@]}" rm --no-progress "$POOL/bench-cr" >/dev/null
    drop; tool restore BC "$img" 000001-000003 bench-ct; R[chain,tool]+=" $T"; R[chain,rss]+=" $RSS"
    "${RBD[@]}" snap purge --no-progress "$POOL/bench-ct"; "${RBD[@]}" rm --no-progress "$POOL/bench-ct" >/dev/null
    drop; tool restore BC "$img" 000001-000003 bench-cv --verify-first; R[chain,toolvf]+=" $T"
    "${RBD[@]}" snap purge --no-progress "$POOL/bench-cv"; "${RBD[@]}" rm --no-progress "$POOL/bench-cv" >/dev/null
  done
}
restore_chain_report() {
  [ -n "${R[chain,raw]:-}" ] || return 0
  local rr tr tv; rr=$(median <<<"${R[chain,raw]}"); tr=$(median <<<"${R[chain,tool]}"); tv=$(median <<<"${R[chain,toolvf]}")
  echo
  echo "Restore of a ${BENCH_CHAIN_MIB:-1024} MiB full + 3 incrementals (${R[chain,bytes]} bytes of files), medians of $REPS:"
  echo "raw \`rbd create\` + \`rbd import-diff FILE\` x4 $rr s; \`cephbackup restore\` $tr s (tool/raw $(ratio "$tr" "$rr"), target ≤ 1.03);"
  echo "\`restore --verify-first\` $tv s (tool/raw $(ratio "$tv" "$rr")); peak RSS $(( $(median <<<"${R[chain,rss]}") / 1024 )) MiB."
}
# --- end of the restore-of-a-chain section
if [ "${BENCH_ONLY:-}" = restore-chain ]; then SIZES=""; fi
for S in $SIZES; do
  avail=$(ceph -c "$CEPH_CONF" df -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["total_avail_bytes"]>>20)')
  if [ "$avail" -lt $((S * 23 / 10)) ]; then
    log "SKIP ${S} MiB: the cluster has ${avail} MiB free, needs ~$((S * 23 / 10)) (image + restored copy); start it with a bigger CEPH_MICRO_OSD_SIZE"
    continue
  fi
  img=bench-$S
  log "== ${S} MiB: filling $img with random data"
  "${RBD[@]}" create --size "${S}M" "$POOL/$img"
  fill "$img" "$S" 100
  jf=$((++job)); ji=$((++job))
  SQL "INSERT INTO backup_jobs (idbackup_jobs,name,max_inc,enabled,path,retention,\`snap-prefix\`,\`max-snaps\`) VALUES
       ($jf,'BF$S',0,0,'$WORK/backup',100,'BF',100), ($ji,'BI$S',1000,0,'$WORK/backup',100,'BI',100);
       INSERT INTO vms (idvms,vm,image) VALUES ($jf,'benchvm$S','$img');
       INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES ($jf,$jf,$jf), ($ji,$jf,$ji);"
  "${RBD[@]}" snap create --no-progress "$POOL/$img@used"
  used=$("${RBD[@]}" du --format json "$POOL/$img@used" | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin)["images"] if i.get("snapshot")=="used"][0]["used_size"])')
  "${RBD[@]}" snap rm --no-progress "$POOL/$img@used"
  "$CB" exec --job "BI$S" >/dev/null 2>&1   # the incremental job's first full, untimed
  for r in $(seq 1 "$REPS"); do
    log "${S} MiB rep $r/$REPS: full backup"
    "${RBD[@]}" snap create --no-progress "$POOL/$img@raw$r"
    drop; s=$(now); "${RBD[@]}" export-diff --no-progress "$POOL/$img@raw$r" - >"$WORK/raw.diff"; sync "$WORK/raw.diff"; R[$S,rawfull]+=" $(since "$s")"
    rawbytes=$(stat -c %s "$WORK/raw.diff")
    drop; tool exec --job "BF$S"; R[$S,toolfull]+=" $T"; R[$S,rssfull]+=" $RSS"
    file=$(ls -t "$WORK"/backup/BF$S/benchvm$S/$img/*/000000 | head -1); R[$S,bytes]+=" $(stat -c %s "$file")"
    log "${S} MiB rep $r/$REPS: restore"
    drop; s=$(now); "${RBD[@]}" create --size 1M "$POOL/bench-rr"; "${RBD[@]}" import-diff --no-progress "$WORK/raw.diff" "$POOL/bench-rr"; R[$S,rawrest]+=" $(since "$s")"
    "${RBD[@]}" snap purge --no-progress "$POOL/bench-rr"; "${RBD[@]}" rm --no-progress "$POOL/bench-rr" >/dev/null
    rp=$(basename "$(dirname "$file")")-000000
    drop; tool restore "BF$S" "$img" "$rp" bench-tr; R[$S,toolrest]+=" $T"; R[$S,rssrest]+=" $RSS"
    "${RBD[@]}" snap purge --no-progress "$POOL/bench-tr"; "${RBD[@]}" rm --no-progress "$POOL/bench-tr" >/dev/null
    rm -f "$WORK/raw.diff"; rm -f "$file"   # disk space: the catalog row stays, the bench never restores it again
    "${RBD[@]}" snap rm --no-progress "$POOL/$img@raw$r"

    log "${S} MiB rep $r/$REPS: incremental after rewriting 5%"
    "${RBD[@]}" snap create --no-progress "$POOL/$img@pre$r"
    fill "$img" "$S" 5
    "${RBD[@]}" snap create --no-progress "$POOL/$img@post$r"
    drop; s=$(now); "${RBD[@]}" export-diff --no-progress --from-snap "pre$r" "$POOL/$img@post$r" - >"$WORK/raw.inc"; sync "$WORK/raw.inc"; R[$S,rawinc]+=" $(since "$s")"
    R[$S,incbytes]+=" $(stat -c %s "$WORK/raw.inc")"; rm -f "$WORK/raw.inc"
    "${RBD[@]}" snap rm --no-progress "$POOL/$img@pre$r"; "${RBD[@]}" snap rm --no-progress "$POOL/$img@post$r"
    drop; tool exec --job "BI$S"; R[$S,toolinc]+=" $T"
    tool exec --job "BI$S"; R[$S,toolnochange]+=" $T"
    last=$(ls -t "$WORK"/backup/BI$S/benchvm$S/$img/000001/?????? | head -1); R[$S,nochangebytes]+=" $(stat -c %s "$last")"
  done
  R[$S,used]=$used; R[$S,rawbytes]=$rawbytes
done

restore_chain
mibs() { awk -v m="$1" -v s="$2" 'BEGIN{ if (s>0) printf "%.0f", m/s; else print "n/a" }'; }
main_report() {
  echo "<!-- main:begin -->"
  echo "Generated by \`scripts/bench.sh\` (BENCH_SIZES_MIB=\"$SIZES\" BENCH_REPS=$REPS) on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(rbd --version | cut -d' ' -f1-3), .NET $(dotnet --version);"
  echo "single-node micro cluster (bluestore on a sparse file), backup target on the same disk. Medians of $REPS runs,"
  echo "baseline and tool alternating. Ratio = baseline time / tool time (1.00 = as fast as raw rbd; higher is better)."
  echo
  echo "| size | full: raw s | full: tool s | ratio | tool MiB/s | restore: raw s | restore: tool s | ratio | inc 5%: raw s | inc 5%: tool s | ratio | unchanged inc: tool s, bytes | peak RSS backup / restore MiB | full bytes / rbd used |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for S in $SIZES; do
    [ -n "${R[$S,rawfull]:-}" ] || { echo "| ${S} MiB | skipped: not enough free space in the cluster |||||||||||||"; continue; }
    rf=$(median <<<"${R[$S,rawfull]}"); tf=$(median <<<"${R[$S,toolfull]}")
    rr=$(median <<<"${R[$S,rawrest]}"); tr=$(median <<<"${R[$S,toolrest]}")
    ri=$(median <<<"${R[$S,rawinc]}"); ti=$(median <<<"${R[$S,toolinc]}")
    tn=$(median <<<"${R[$S,toolnochange]}"); nb=$(median <<<"${R[$S,nochangebytes]}")
    rssf=$(median <<<"${R[$S,rssfull]}"); rssr=$(median <<<"${R[$S,rssrest]}")
    fb=$(median <<<"${R[$S,bytes]}")
    echo "| ${S} MiB | $rf | $tf | $(ratio "$rf" "$tf") | $(mibs "$S" "$tf") | $rr | $tr | $(ratio "$rr" "$tr") | $ri | $ti | $(ratio "$ri" "$ti") | $tn s, $nb B | $(awk -v a="$rssf" -v b="$rssr" 'BEGIN{printf "%d / %d", a/1024, b/1024}') | $(ratio "$fb" "${R[$S,used]}") |"
  done
  echo
  echo "Raw runs (seconds, in order):"
  echo
  for k in $(printf '%s\n' "${!R[@]}" | sort | grep -v '^chain,'); do echo "- \`$k\`:${R[$k]}"; done
  echo "<!-- main:end -->"
}
# Each part replaces only its own marked section of $OUT: a run of one part (BENCH_ONLY=restore-chain) keeps the others' figures.
if [ -n "$SIZES" ]; then main_report | tee "$WORK/main.md"; write_section main "$WORK/main.md"; fi
if [ -n "${R[chain,raw]:-}" ]; then
  { echo "<!-- restore-chain:begin -->"; restore_chain_report; echo; echo "Raw runs (seconds, in order):"; echo
    for k in $(printf '%s\n' "${!R[@]}" | sort | grep '^chain,'); do echo "- \`$k\`:${R[$k]}"; done
    echo "<!-- restore-chain:end -->"; } | tee "$WORK/chain.md"
  write_section restore-chain "$WORK/chain.md"
fi

# The mount (NBD) section: nbdcopy of an export vs cat of its chain, time to first byte (figures in docs/BENCHMARKS.md).
[ "${BENCH_MOUNT:-1}" = 0 ] || bash "$ROOT/scripts/bench-mount.sh"
