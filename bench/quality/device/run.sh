#!/usr/bin/env bash
# The quality runs on the GPU machine, from the repository root, with carry [".gpu/quality"] (made by
# bench/quality/device/prepare.sh): every line of PLAN (default bench/quality/device/plan-1.tsv) is one
# training run of bench/quality/device/train-entry.ts on webgpu, all started at once (each run is bound by its
# own host thread's dispatch, docs/performance.md §5, so the GPU takes several side by side), with nvidia-smi
# dmon sampling. Runs stop at LIMIT seconds (default 540). What comes back is one archive, $OUT/runs.tgz (at
# most 8 files come back from a call): per run metrics.jsonl, ir.json, summary.json, the exported student and
# its logs, and for a run that did not finish its latest checkpoint. To continue unfinished runs on a later call
# (a fresh machine), copy that archive to .gpu/quality/resume.tgz before the call: the runs start from it and
# `runProgram` resumes each from its latest checkpoint (the same plan line gives the same config hash).
# Usage: bash bench/quality/device/run.sh [PLAN] [LIMIT]
set -uo pipefail
D=.gpu/quality
PLAN=${1:-bench/quality/device/plan-1.tsv}
LIMIT=${2:-540}
R=/tmp/quality-runs
L=$R/logs
mkdir -p "$R" "$L"
[ -f "$D/resume.tgz" ] && tar -xzf "$D/resume.tgz" -C "$R" && echo "resuming from $D/resume.tgz"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
stamp() { echo "== $(date +%T) +$(( $(date +%s) - t0 ))s $*"; }
stamp start; nproc; nvidia-smi --query-gpu=name,driver_version,utilization.gpu,memory.used --format=csv
source bench/peers/device/gpu-node-env.sh "$D"
"$NODE" --version
nvidia-smi dmon -s um -d 2 -o T > "$L/dmon.txt" 2>&1 &
DMON=$!
pids=()
while IFS=$'\t' read -r name program micro drop set; do
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
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
keep=()
for d in "$R"/*/; do
  n=$(basename "$d"); [ "$n" = logs ] && { keep+=(logs); continue; }
  for f in metrics.jsonl ir.json latest summary.json student; do [ -e "$d/$f" ] && keep+=("$n/$f"); done
  if [ ! -f "$d/summary.json" ] && [ -f "$d/latest" ]; then keep+=("$n/$(cat "$d/latest")"); fi
done
(cd "$R" && tar -czf "$OUT/runs.tgz" "${keep[@]}") && ls -la "$OUT/runs.tgz"
stamp done
