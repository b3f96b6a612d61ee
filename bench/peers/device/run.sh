#!/usr/bin/env bash
# The device call of docs/performance.md, on the H200 machine from the repository root, with carry
# [".gpu/speed"] (made by bench/peers/device/prepare.sh). Side by side in one command:
#  (a) our generated program's stage steps on webgpu (Dawn over NVIDIA's Vulkan; the generated WGSL SSD
#      kernels), at the recipe's micro-batch 8 and at 64, with nvidia-smi dmon sampling GPU utilisation;
#  (b) the PyTorch peer (bench/peers/peer_bench.py) on the GPU, same shapes;
#  (c) on cores 0,1 (taskset): our Node program on wasm in one thread and on 2 workers, then PyTorch on the
#      CPU with torch.set_num_threads(2); on cores 2,3 at the same time: the recipe on the start commit's
#      runtime (the "before" of the 3× goal). The GPU runs use cores 4-15.
# Everything lands in $OUT/results.tgz (+ $OUT/log.txt).
set -uo pipefail
D=.gpu/speed
R=$(mktemp -d)
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
stamp() { echo "== $(date +%T) +$(( $(date +%s) - t0 ))s $*"; }
stamp start; nproc; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,utilization.gpu --format=csv
source bench/peers/device/gpu-node-env.sh "$D"
"$NODE" --version; python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())'
SIZES=1024 timeout 30 "$NODE" "$D/probe.mjs" > "$R/probe.txt" 2>&1; cat "$R/probe.txt"

stamp "cpu side (background)"
(
  taskset -c 2,3 timeout 200 "$NODE" "$D/bundle/before-entry.mjs" --steps 1 --warm 1 --data "$D/data" > "$R/node-before.json" 2> "$R/node-before.err"
) &
BEFORE=$!
(
  taskset -c 0,1 timeout 150 "$NODE" "$D/bundle/entry.mjs" --backend wasm --workers 0,2 --steps 1 --warm 1 --data "$D/data" > "$R/node-cpu.json" 2> "$R/node-cpu.err"
  taskset -c 0,1 timeout 100 python3 bench/peers/peer_bench.py --data "$D/data" --device cpu --threads 2 --steps 1 --warm 1 --json "$R/torch-cpu.json" > "$R/torch-cpu.log" 2>&1
) &
CPU=$!

stamp "gpu: webgpu micro 8"
nvidia-smi dmon -s u -d 1 -o T > "$R/dmon.txt" 2>&1 &
DMON=$!
taskset -c 4-15 timeout 120 "$NODE" "$D/bundle/entry.mjs" --backend webgpu --workers 0 --steps 2 --warm 1 --data "$D/data" > "$R/webgpu.json" 2> "$R/webgpu.err"
stamp "gpu: webgpu micro 64"
taskset -c 4-15 timeout 70 "$NODE" "$D/bundle/entry.mjs" --backend webgpu --workers 0 --steps 2 --warm 1 --micro 64 --data "$D/data" > "$R/webgpu-m64.json" 2> "$R/webgpu-m64.err"
stamp "gpu: torch micro 8"
taskset -c 4-15 timeout 60 python3 bench/peers/peer_bench.py --data "$D/data" --device cuda --threads 8 --steps 5 --warm 2 --json "$R/torch-gpu.json" > "$R/torch-gpu.log" 2>&1
stamp "gpu: torch micro 64"
taskset -c 4-15 timeout 45 python3 bench/peers/peer_bench.py --data "$D/data" --device cuda --threads 8 --micro 64 --accum 1 --steps 5 --warm 2 --json "$R/torch-gpu-m64.json" > "$R/torch-gpu-m64.log" 2>&1
stamp "gpu done"
kill $DMON 2>/dev/null
wait $CPU; stamp "cpu side done"
wait $BEFORE; stamp "before done"
for f in "$R"/*.err "$R"/*.log; do echo "---- $f"; tail -n 15 "$f"; done
tar -czf "$OUT/results.tgz" -C "$R" .
stamp end
