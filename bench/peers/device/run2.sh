#!/usr/bin/env bash
# Second device call (docs/performance.md): the CPU side again on the final code, on two CPUs of DIFFERENT
# physical cores (the first call pinned to CPUs 0,1 without checking the topology), at 8,192 tokens per step
# (4 micro-batches of 8 × 256) to fit the time left: our Node program in one thread and on 2 workers, then
# PyTorch with 2 threads on the same CPUs; meanwhile the start commit's runtime on two other physical cores.
# Carry [".gpu/speed"]; results in $OUT/results2.tgz and $OUT/log2.txt.
set -uo pipefail
D=.gpu/speed
R=$(mktemp -d)
exec > >(tee "$OUT/log2.txt") 2>&1
t0=$(date +%s)
stamp() { echo "== $(date +%T) +$(( $(date +%s) - t0 ))s $*"; }
stamp start
lscpu | grep -E 'Model name|Socket|Core|Thread|NUMA|MHz' ; lscpu -p=CPU,CORE,SOCKET | grep -v '^#' > "$R/topology.csv"
# Two CPUs on distinct physical cores for the measurement, two more (distinct again) for the "before" run.
read -r A B C E < <(awk -F, '!seen[$2]++ {print $1}' "$R/topology.csv" | head -4 | tr '\n' ' ')
echo "measure on CPUs $A,$B; before on CPUs $C,$E"
source "$D/unpack.sh" "$D" >/dev/null
stamp "before (background)"
taskset -c "$C,$E" timeout 150 "$NODE" "$D/bundle/before-entry.mjs" --steps 1 --warm 1 --batch-tokens 8192 --data "$D/data" > "$R/node-before.json" 2> "$R/node-before.err" &
BEFORE=$!
stamp "ours, 1 thread and 2 workers"
taskset -c "$A,$B" timeout 150 "$NODE" "$D/bundle/entry.mjs" --backend wasm --workers 0,2 --steps 1 --warm 1 --batch-tokens 8192 --data "$D/data" > "$R/node-cpu.json" 2> "$R/node-cpu.err"
stamp "pytorch cpu 2 threads"
taskset -c "$A,$B" timeout 60 python3 bench/peers/peer_bench.py --data "$D/data" --device cpu --threads 2 --accum 4 --steps 1 --warm 1 --json "$R/torch-cpu.json" > "$R/torch-cpu.log" 2>&1
stamp "waiting for before"
wait $BEFORE
stamp done
for f in "$R"/*.err "$R"/*.log; do echo "---- $f"; tail -n 8 "$f"; done
tar -czf "$OUT/results2.tgz" -C "$R" .
stamp end
