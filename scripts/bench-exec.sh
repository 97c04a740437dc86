# bench-exec.sh - the exec section of scripts/bench.sh (issue #10); sourced by bench.sh, which has already
# started the cluster and MariaDB, published the tool and defined RBD, POOL, WORK, OUT, SQL, tool, fill,
# drop, now, since, median. Run it with:
#
#   BENCH_PARTS=exec scripts/bench.sh          (BENCH_EXEC_MIB=1024 BENCH_PAR_MIB=256 BENCH_REPS=3 BENCH_NOCHANGE_N=5 by default)
#
# Three figures, raw rbd and the tool alternating, cold page cache and a quiet monitor (mon_quiet) before every
# timed step of the first two:
#   full       1 GiB of random data: raw `rbd snap create` + `rbd export-diff img@snap - > f` + fsync, against a
#              whole `cephbackup exec` (process start, lock, snapshot, export, SHA-256, fsync, sidecars,
#              catalog, mail). The tool's per-phase milliseconds come from its Debug log line.
#   unchanged  an image with no change since its last point: raw snap create + export-diff --from-snap, against exec;
#              BENCH_NOCHANGE_N pairs a rep.
#   parallel   one job of 8 images x 256 MiB (random data), Backup:Parallelism 1 against 2, with the CPU time of
#              the whole machine (/proc/stat) and the bytes written to the backup disk during each run, to show
#              which resource saturates.
# Results replace the section between the exec markers in docs/BENCHMARKS.md.

# busy (user, nice, system, irq, softirq), all, iowait: in ticks of all cores together.
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8, $6}' /proc/stat; }
# Busy % of all cores every half second until file $1 exists, one figure a line: the job's average hides
# whether the CPU is saturated while data flows (it idles during each VM's snapshot). Bash builtins only,
# so the sampler itself costs next to nothing.
cpu_sampler() {
  local stop=$1 u n s i w q sq prev_b=0 prev_t=0 b t fd
  exec {fd}<> <(:)
  while [ ! -e "$stop" ]; do
    read -r _ u n s i w q sq _ </proc/stat
    b=$((u + n + s + q + sq)); t=$((b + i + w))
    [ "$prev_t" -gt 0 ] && [ $((t - prev_t)) -gt 0 ] && echo $((100 * (b - prev_b) / (t - prev_t)))
    prev_b=$b; prev_t=$t
    read -r -t 0.5 -u "$fd" _ || true
  done
}
# "median p90-share" of the samples: the median busy % and the share (%) of samples at 90 % or more.
cpu_summary() { sort -n "$1" | awk '{a[NR]=$1; if ($1 >= 90) h++} END{if (NR) printf "%d %d\n", a[int((NR+1)/2)], 100*h/NR; else print "0 0"}'; }
# Cold page cache and an idle OSD (drop), then a quiet monitor and a random phase. A snapshot-id request waits
# for the monitor's next proposal: paxos_propose_interval (1 s) after its last commit of any kind, and the mgr
# logs (a commit) every 2 s. Where in that cycle a step's `snap create` lands decides up to a second of it, and
# with fixed sleeps the bench locked onto one phase per side: 0.36 s raw against 1.01 s in the tool for the same
# command, 9 of 9 pairs (2026-12-01 02:02 UTC; the monitor's log showed the tool's request 0.13 s after a logm
# commit and its proposal timer at 0.87 s). A random 0-2 s pause gives both sides the same spread of phases.
mon_quiet() { drop; sleep "$(awk -v q="${BENCH_MON_QUIET_S:-1}" -v r="$RANDOM" 'BEGIN{printf "%.3f", q + 2 * r / 32768}')"; }
# Milliseconds the disk that holds the backups (and, here, the OSD's file) spent with I/O in flight.
disk_busy_ms() { local d; d=$(basename "$(df --output=source "$WORK" | tail -1)"); awk -v d="$d" '$3==d{print $13}' /proc/diskstats; }

bench_exec() {
  local S=${BENCH_EXEC_MIB:-1024} P=${BENCH_PAR_MIB:-256} reps=${BENCH_REPS:-3} r i s t0 b0 t1 b1
  local -A X
  # The per-phase timings are Debug lines; the bench's config logs Information.
  export CEPHBACKUP_Serilog__MinimumLevel__Default=Debug
  "${RBD[@]}" create --size "${S}M" "$POOL/bench-xfull"; fill bench-xfull "$S" 100
  SQL "INSERT INTO backup_jobs (idbackup_jobs,name,max_inc,enabled,path,retention,\`snap-prefix\`,\`max-snaps\`) VALUES
       (201,'XF',0,0,'$WORK/backup',1000,'XF',1000), (202,'XI',100000,0,'$WORK/backup',1000,'XI',1000), (203,'XP',0,0,'$WORK/backup',1000,'XP',1000);
       INSERT INTO vms (idvms,vm,image) VALUES (201,'xvm','bench-xfull');
       INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES (201,201,201), (202,201,202);"
  for i in $(seq 1 8); do
    "${RBD[@]}" create --size "${P}M" "$POOL/bench-xp$i"; fill "bench-xp$i" "$P" 100
    SQL "INSERT INTO vms (idvms,vm,image) VALUES ($((210 + i)),'xpvm$i','bench-xp$i');
         INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES (203,$((210 + i)),$((210 + i)));"
  done
  "$CB" exec --job XI >/dev/null 2>&1   # the incremental job's first full, untimed
  for r in $(seq 1 "$reps"); do
    log "exec rep $r/$reps: 1 GiB full"
    mon_quiet; s=$(now); "${RBD[@]}" snap create --no-progress "$POOL/bench-xfull@raw$r"
    "${RBD[@]}" export-diff --no-progress "$POOL/bench-xfull@raw$r" - >"$WORK/raw.diff"; sync "$WORK/raw.diff"; X[rawfull]+=" $(since "$s")"
    rm -f "$WORK/raw.diff"; "${RBD[@]}" snap rm --no-progress "$POOL/bench-xfull@raw$r"
    mon_quiet; tool exec --job XF; X[toolfull]+=" $T"; X[rssfull]+=" $RSS"
    X[phases]+=" [$(grep -h 'timings (ms)' "$WORK"/logs/*.log | tail -1 | sed 's/.*timings (ms): //')]"
    rm -f "$WORK"/backup/XF/xvm/bench-xfull/*/000000

    # Several pairs a rep: the snapshot's monitor wait (0-1 s, see mon_quiet) dominates this small step, so
    # its medians need more samples than the full's.
    for k in $(seq 1 "${BENCH_NOCHANGE_N:-5}"); do
      log "exec rep $r/$reps: unchanged incremental $k"
      "${RBD[@]}" snap create --no-progress "$POOL/bench-xfull@pre$r-$k"
      mon_quiet; s=$(now); "${RBD[@]}" snap create --no-progress "$POOL/bench-xfull@post$r-$k"; local snapped; snapped=$(now)
      "${RBD[@]}" export-diff --no-progress --from-snap "pre$r-$k" "$POOL/bench-xfull@post$r-$k" - >"$WORK/raw.inc"; sync "$WORK/raw.inc"; X[rawnochange]+=" $(since "$s")"
      X[rawnosnap]+=" $(awk -v a="$s" -v b="$snapped" 'BEGIN{printf "%.3f", b-a}')"
      rm -f "$WORK/raw.inc"
      # Both timed steps follow a snapshot creation: the raw snapshots are removed only after the tool's step,
      # because a removal makes the OSD trim and report purged snapshots, monitor commits that would land in it.
      mon_quiet; tool exec --job XI; X[toolnochange]+=" $T"
      X[toolnosnap]+=" $(grep -h 'timings (ms)' "$WORK"/logs/*.log | tail -1 | sed -n 's/.* snapshot=\([0-9]*\).*/\1/p' | awk '{printf "%.3f", $1/1000}')"
      "${RBD[@]}" snap rm --no-progress "$POOL/bench-xfull@pre$r-$k"; "${RBD[@]}" snap rm --no-progress "$POOL/bench-xfull@post$r-$k"
    done

    for par in 1 2; do
      log "exec rep $r/$reps: 8 x $P MiB, Parallelism $par"
      SQL "UPDATE backup_jobs SET max_parallel = $par WHERE idbackup_jobs = 203"
      drop; read -r t0 b0 io0 < <(cpu_busy); local w0 o0 k0 o1 k1; w0=$(awk '{s+=$10} END{print s}' /proc/diskstats)
      o0=$(osd_ticks); k0=$(disk_busy_ms)
      rm -f "$WORK/cpu.stop"; cpu_sampler "$WORK/cpu.stop" >"$WORK/cpu.samples" & local cpid=$!
      CEPHBACKUP_Backup__Parallelism=$par tool exec --job XP; X[par$par]+=" $T"; X[rsspar$par]+=" $RSS"
      touch "$WORK/cpu.stop"; wait "$cpid" 2>/dev/null || true
      local med hi; read -r med hi < <(cpu_summary "$WORK/cpu.samples"); X[cpumed$par]+=" $med"; X[cpuhi$par]+=" $hi"
      read -r t1 b1 io1 < <(cpu_busy); local w1; w1=$(awk '{s+=$10} END{print s}' /proc/diskstats)
      o1=$(osd_ticks); k1=$(disk_busy_ms)
      X[cpu$par]+=" $(awk -v a="$t0" -v b="$b0" -v c="$t1" -v d="$b1" 'BEGIN{printf "%.0f", 100*(c-a)/(d-b)}')"
      X[iow$par]+=" $(awk -v a="$io0" -v b="$b0" -v c="$io1" -v d="$b1" 'BEGIN{printf "%.0f", 100*(c-a)/(d-b)}')"
      X[osd$par]+=" $(awk -v a="$o0" -v b="$o1" -v t="$T" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", 100*(b-a)/hz/t}')"
      X[disk$par]+=" $(awk -v a="$k0" -v b="$k1" -v t="$T" 'BEGIN{printf "%.0f", (b-a)/10/t}')"
      X[wmb$par]+=" $(( (w1 - w0) * 512 / 1048576 ))"
      rm -rf "$WORK"/backup/XP
    done
  done
  exec_report "$S" "$P" "$reps" X
}

# Differences of two equally long lists of samples, pair by pair.
paired_diff() { paste <(tr ' ' '\n' <<<"$1" | grep -v '^$') <(tr ' ' '\n' <<<"$2" | grep -v '^$') | awk '{printf "%.3f ", $1-$2}'; }

exec_report() {
  local S=$1 P=$2 reps=$3; local -n D=$4
  local rf tf rn tn p1 p2
  rf=$(median <<<"${D[rawfull]}"); tf=$(median <<<"${D[toolfull]}")
  rn=$(median <<<"${D[rawnochange]}"); tn=$(median <<<"${D[toolnochange]}")
  p1=$(median <<<"${D[par1]}"); p2=$(median <<<"${D[par2]}")
  {
    echo "<!-- exec:begin -->"
    echo "## exec: fixed costs and parallel images (issue #10)"
    echo
    echo "Generated by \`BENCH_PARTS=exec scripts/bench.sh\` (BENCH_EXEC_MIB=$S BENCH_PAR_MIB=$P BENCH_REPS=$reps BENCH_NOCHANGE_N=${BENCH_NOCHANGE_N:-5}) on"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, single-OSD micro cluster; medians, cold page cache before each step."
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes absolute times noisy)."
    echo
    echo "| figure | raw rbd s | cephbackup s | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| $S MiB full, everything included | $rf | $tf | $(ratio "$tf" "$rf") | ≤ 1.03 |"
    echo "| unchanged incremental | $rn | $tn | +$(awk -v a="$tn" -v b="$rn" 'BEGIN{printf "%.2f", a-b}') s | ≤ raw + 0.3 s |"
    echo
    local rs ts; rs=$(median <<<"${D[rawnosnap]}"); ts=$(median <<<"${D[toolnosnap]}")
    echo "Of the unchanged incremental, \`rbd snap create\` took $rs s raw and $ts s in the tool (medians; the monitor"
    echo "answers a snapshot-id request at its next proposal, up to \`paxos_propose_interval\` = 1 s later, so this"
    echo "step varies on both sides); everything else (each run's total minus its own \`snap create\`, median) took"
    echo "$(paired_diff "${D[rawnochange]}" "${D[rawnosnap]}" | median) s raw and $(paired_diff "${D[toolnochange]}" "${D[toolnosnap]}" | median) s in the tool."
    echo
    echo "| 8 x $P MiB job | Parallelism 1 s | Parallelism 2 s | speed-up | machine CPU busy % (P1 / P2) | CPU busy %, median of 0.5 s samples | samples ≥ 90 % busy | iowait % | OSD CPU, % of one core | disk busy % | MiB written (P1 / P2) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| random data | $p1 | $p2 | $(ratio "$p1" "$p2") | $(median <<<"${D[cpu1]}") / $(median <<<"${D[cpu2]}") | $(median <<<"${D[cpumed1]}") / $(median <<<"${D[cpumed2]}") | $(median <<<"${D[cpuhi1]}") % / $(median <<<"${D[cpuhi2]}") % | $(median <<<"${D[iow1]}") / $(median <<<"${D[iow2]}") | $(median <<<"${D[osd1]}") / $(median <<<"${D[osd2]}") | $(median <<<"${D[disk1]}") / $(median <<<"${D[disk2]}") | $(median <<<"${D[wmb1]}") / $(median <<<"${D[wmb2]}") |"
    echo
    echo "Per-phase milliseconds of the tool's full backups (from its Debug log; plan is the catalog and the base"
    echo "checks, wait is the time for an export slot):${D[phases]}"
    echo
    echo "Raw runs (seconds, in order):"
    echo
    for k in $(printf '%s\n' "${!D[@]}" | grep -v phases | sort); do echo "- \`$k\`:${D[$k]}"; done
    echo "<!-- exec:end -->"
  } >"$WORK/exec-section.md"
  cat "$WORK/exec-section.md"
  write_section exec "$WORK/exec-section.md"
}
