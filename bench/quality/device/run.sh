#!/usr/bin/env bash
# The quality runs on the GPU machine, from the repository root, with carry [".gpu/quality"] (made by
# bench/quality/device/prepare.sh): every line of PLAN (default bench/quality/device/plan-1.tsv) is one
# training run of bench/quality/device/train-entry.ts on webgpu, all started at once (each run is bound by its
# own host thread's dispatch, docs/performance.md §5, so the GPU takes several side by side), with nvidia-smi
# dmon sampling. Runs stop at LIMIT seconds (default 540). What comes back (at most 8 files of 16 MiB per
# call) is $OUT/runs-K.tar: one .tgz per run started in this call (metrics.jsonl, ir.json, summary.json, the
# exported student, and for a run that did not finish its latest checkpoint) plus logs.tgz. To continue
# unfinished runs on a later call (a fresh machine), copy those archives into .gpu/quality/resume/ before the
# call: the runs start from them, `runProgram` resumes each from its latest checkpoint (the same plan line gives
# the same config hash), and runs that already finished are skipped.
# Usage: bash bench/quality/device/run.sh [PLAN] [LIMIT]
set -uo pipefail
D=${QUALITY_DIR:-.gpu/quality}  # another folder only to try the script elsewhere
PLAN=${1:-bench/quality/device/plan-1.tsv}
LIMIT=${2:-540}
R=/tmp/quality-runs
L=$R/logs
mkdir -p "$R" "$L"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
stamp() { echo "== $(date +%T) +$(( $(date +%s) - t0 ))s $*"; }
# Archives of an earlier call (runs-*.tar, each a tar of per-run .tgz files) continue here.
for a in "$D"/resume/runs-*.tar; do
  [ -f "$a" ] || continue
  mkdir -p /tmp/quality-unpack && tar -xf "$a" -C /tmp/quality-unpack && echo "resuming from $a"
done
for f in /tmp/quality-unpack/*.tgz; do [ -f "$f" ] && tar -xzf "$f" -C "$R"; done
stamp start; nproc; nvidia-smi --query-gpu=name,driver_version,utilization.gpu,memory.used --format=csv
source bench/peers/device/gpu-node-env.sh "$D"
"$NODE" --version
nvidia-smi dmon -s um -d 2 -o T > "$L/dmon.txt" 2>&1 &
DMON=$!
pids=()
started=()
while IFS=$'\t' read -r name program micro drop set; do
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  # A run that finished in an earlier call came back already; it neither runs nor travels again.
  [ -f "$R/$name/summary.json" ] && { stamp "skipped $name (finished in an earlier call)"; continue; }
  started+=("$name")
  args=(--program "$program" --run "$R/$name" --data "$D/data" --backend webgpu --micro "$micro" --no-eval)
  [ "$drop" != "-" ] && args+=(--drop "$drop")
  [ "$set" != "-" ] && args+=(--set "$set")
  timeout "$(( LIMIT - ($(date +%s) - t0) ))" "$NODE" "$D/bundle/train-entry.mjs" "${args[@]}" > "$L/$name.json" 2> "$L/$name.err" &
  pids+=($!)
  stamp "started $name ($program micro $micro drop $drop set $set)"
done < "$PLAN"
for p in "${pids[@]}"; do wait "$p"; done
stamp "all runs ended"
kill $DMON 2>/dev/null
for d in "$R"/*/; do
  n=$(basename "$d"); [ "$n" = logs ] && continue
  echo "$n: $(tail -n 1 "$d/metrics.jsonl" 2>/dev/null | cut -c1-160)"
done
for f in "$L"/*.err; do grep -q '^error' "$f" && { echo "---- $f"; tail -n 4 "$f"; }; done
# What comes back: at most 8 files of 16 MiB each, so each run started here is one .tgz (metrics, ir,
# summary, student, and the latest checkpoint of an unfinished run), packed greedily into runs-K.tar of
# at most 15 MiB; logs (per-run stdout/stderr, dmon) are one more .tgz.
P=/tmp/quality-pack
rm -rf "$P" && mkdir -p "$P"
for n in "${started[@]}"; do
  d="$R/$n"; keep=()
  for f in metrics.jsonl ir.json latest summary.json student; do [ -e "$d/$f" ] && keep+=("$f"); done
  if [ ! -f "$d/summary.json" ] && [ -f "$d/latest" ]; then keep+=("$(cat "$d/latest")"); fi
  (cd "$R" && tar -czf "$P/$n.tgz" "${keep[@]/#/$n/}")
done
(cd "$R" && tar -czf "$P/logs.tgz" logs)
k=1; size=0
for f in "$P"/*.tgz; do
  s=$(stat -c %s "$f")
  if (( size > 0 && size + s > 15 * 1024 * 1024 )); then k=$((k + 1)); size=0; fi
  tar -rf "$OUT/runs-$k.tar" -C "$P" "$(basename "$f")"; size=$((size + s))
done
ls -la "$OUT"/runs-*.tar; for a in "$OUT"/runs-*.tar; do echo "$a: $(tar -tf "$a" | tr '\n' ' ')"; done
stamp done
