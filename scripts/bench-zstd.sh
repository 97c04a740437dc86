# bench-zstd.sh - the compression section of scripts/bench.sh (issue #12); sourced by bench.sh, which has
# already started the cluster and MariaDB, published the tool and defined RBD, POOL, WORK, OUT, SQL, tool,
# fill, drop, now, since, median. Run it with:
#
#   BENCH_PARTS=zstd scripts/bench.sh                 (BENCH_ZSTD_MIB=1024 BENCH_REPS=3 by default)
#
# For each of two 1 GiB images it alternates a plain and a zstd (level 3) full backup, each followed by a
# restore of the point just written, REPS times, with a cold page cache before every timed step:
#   random  every 4 MiB object written with os.urandom: incompressible, the worst case for compression.
#   text    an ext4 filesystem (mkfs.ext4 -d, no mount needed) holding ~85 % of its size in text files:
#           log-like lines (timestamp, host, level, module, 5-14 words from a 5000-word made-up vocabulary,
#           a hex id). A 32 MiB pool of such lines is generated once and each file is a run of slices of
#           it taken at random offsets; a zstd frame is 4 MiB, so frames never see repeats from outside
#           their own slice and the ratio is that of the text, not of the repetition.
# Results replace the section between the zstd markers in docs/BENCHMARKS.md.

bench_zstd() {
  local S=${BENCH_ZSTD_MIB:-1024} reps=${BENCH_REPS:-3} r kind codec order img job file rp snap n=0
  local -A Z
  log "zstd: making the random image"
  "${RBD[@]}" create --size "${S}M" "$POOL/bench-zrand"; fill bench-zrand "$S" 100
  log "zstd: making the text filesystem image"
  zstd_text_image "$S" "$WORK/text.img"
  "${RBD[@]}" import --no-progress "$WORK/text.img" "$POOL/bench-ztext"; rm -f "$WORK/text.img"
  for kind in rand text; do
    for codec in plain zstd; do
      n=$((n + 1))
      SQL "INSERT INTO backup_jobs (idbackup_jobs,name,max_inc,enabled,path,retention,\`snap-prefix\`,\`max-snaps\`,compression) VALUES
           ($((100 + n)),'Z$codec$kind',0,0,'$WORK/backup',1000,'Z$n',1000,$([ $codec = zstd ] && echo "'zstd'" || echo NULL));
           INSERT INTO vms (idvms,vm,image) VALUES ($((100 + n)),'zvm$n','bench-z$kind');
           INSERT INTO backup_vms (idbackup_jobs,idvms,id) VALUES ($((100 + n)),$((100 + n)),$((100 + n)));"
    done
  done
  for r in $(seq 1 "$reps"); do
    # Alternate which codec goes first, so a warm-up or a neighbour's burst does not always hit the same one.
    if [ $((r % 2)) = 1 ]; then order="plain zstd"; else order="zstd plain"; fi
    for kind in rand text; do
      for codec in $order; do
        job=Z$codec$kind; img=bench-z$kind
        log "zstd rep $r/$reps: $kind $codec backup + restore"
        drop; tool exec --job "$job"; Z[$kind,$codec,backup]+=" $T"
        file=$(ls -d "$WORK/backup/$job/zvm"*/"$img"/*/ | sort | tail -1)
        file=$(ls "$file"000000* | grep -E '/000000(\.zst)?$')
        Z[$kind,$codec,bytes]+=" $(stat -c %s "$file")"
        rp=$(basename "$(dirname "$file")")-000000
        drop; tool restore "$job" "$img" "$rp" bench-zr; Z[$kind,$codec,restore]+=" $T"
        if [ "$r" = 1 ]; then   # bit-exact once per kind and codec (a full export each side costs time)
          snap=$(SQL "SELECT snapshot FROM cephbackup_points WHERE job_name = '$job' ORDER BY id DESC LIMIT 1")
          [ "$("${RBD[@]}" export --no-progress "$POOL/bench-zr" - | sha256sum)" = "$("${RBD[@]}" export --no-progress "$POOL/$img@$snap" - | sha256sum)" ] \
            || { log "zstd: restore of $job $rp differs from $img@$snap"; return 1; }
        fi
        "${RBD[@]}" snap purge --no-progress "$POOL/bench-zr" >/dev/null 2>&1 || true
        "${RBD[@]}" rm --no-progress "$POOL/bench-zr" >/dev/null
        rm -f "$(dirname "$file")"/000000*   # disk space; the catalog row stays, the bench never restores it again
      done
    done
  done
  zstd_report "$S" "$reps" Z
}

# A filesystem image of SIZE MiB with ~85 % of it in text files (see the header).
zstd_text_image() {
  local S=$1 out=$2 dir=$WORK/text
  rm -rf "$dir"; mkdir -p "$dir"
  python3 - "$dir" $((S * 85 / 100)) <<'PY'
import os, random, string, sys
root, total_mib = sys.argv[1], int(sys.argv[2])
rnd = random.Random(12)
words = ["".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 11))) for _ in range(5000)]
levels = ["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]
mods = ["".join(rnd.choices(string.ascii_lowercase, k=6)) for _ in range(40)]
lines, size, t = [], 0, 1_700_000_000.0
while size < 32 << 20:
    t += rnd.expovariate(50)
    l = f"2026-11-{int(t) % 28 + 1:02d}T{int(t) % 86400 // 3600:02d}:{int(t) % 3600 // 60:02d}:{t % 60:06.3f} host{rnd.randint(1, 120):03d} " \
        f"{rnd.choice(levels)} [{rnd.choice(mods)}] {' '.join(rnd.choices(words, k=rnd.randint(5, 14)))} id={rnd.getrandbits(32):08x}\n"
    lines.append(l); size += len(l)
pool = "".join(lines).encode()
for i in range(total_mib // 8):
    with open(os.path.join(root, f"app{i:04d}.log"), "wb") as f:
        for _ in range(8):
            o = rnd.randrange(len(pool) - (1 << 20)); f.write(pool[o:o + (1 << 20)])
PY
  mkfs.ext4 -q -F -d "$dir" "$out" "${S}M"
  rm -rf "$dir"
}

zstd_report() {
  local S=$1 reps=$2; local -n D=$3
  local kind rb zb rr zr pb zbb
  {
    echo "<!-- zstd:begin -->"
    echo "## Compression (zstd, issue #12)"
    echo
    echo "Generated by \`BENCH_PARTS=zstd scripts/bench.sh\` (BENCH_ZSTD_MIB=$S BENCH_REPS=$reps) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "$(nproc) cores, private single-OSD micro cluster (bluestore, sparse file). Every figure is a whole \`cephbackup exec\`"
    echo "(full) or \`cephbackup restore\` of that point, cold page cache, plain and zstd (level 3) alternating; medians."
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the bench's own rbd, OSD and cephbackup count too; other"
    echo "work on the machine makes absolute times noisy, the ratios compare runs made seconds apart)."
    echo "How the data is made: see the header of scripts/bench-zstd.sh (random = os.urandom;"
    echo "text = ext4 image made by \`mkfs.ext4 -d\` from generated log-like text files)."
    echo
    echo "| data | plain backup s | zstd backup s | zstd / plain time | plain bytes | zstd bytes | zstd / plain bytes | plain restore s | zstd restore s | zstd / plain restore |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for kind in rand text; do
      rb=$(median <<<"${D[$kind,plain,backup]}"); zb=$(median <<<"${D[$kind,zstd,backup]}")
      rr=$(median <<<"${D[$kind,plain,restore]}"); zr=$(median <<<"${D[$kind,zstd,restore]}")
      pb=$(median <<<"${D[$kind,plain,bytes]}"); zbb=$(median <<<"${D[$kind,zstd,bytes]}")
      echo "| $S MiB $([ $kind = rand ] && echo random || echo text) | $rb | $zb | $(ratio "$zb" "$rb") | $pb | $zbb | $(ratio "$zbb" "$pb") | $rr | $zr | $(ratio "$zr" "$rr") |"
    done
    echo
    echo "Targets: random backup ≤ 1.05 × plain; text stored bytes ≤ 0.5 × plain and backup ≤ 1.0 × plain;"
    echo "restore of a compressed point ≤ 1.05 × plain. Raw runs (seconds or bytes, in order):"
    echo
    for k in $(printf '%s\n' "${!D[@]}" | sort); do echo "- \`$k\`:${D[$k]}"; done
    echo "<!-- zstd:end -->"
  } >"$WORK/zstd-section.md"
  cat "$WORK/zstd-section.md"
  write_section zstd "$WORK/zstd-section.md"
}

