#!/usr/bin/env bash
# One H200 session (device tool): build the kernels library and the Node addon, check every CUDA variant against
# float64 (PyTorch harness and, through the addon, the TypeScript references), benchmark against the Triton peer
# and the copy bandwidth, and time each forward kernel with ncu. Full logs under $OUT; a short table last.
#   run with carry [".gpu", ".vendor"] after bench/kernels/h200/prepare.sh
set -u
cd "$(dirname "$0")/../../.."
OUT=${OUT:-/tmp/mohawk-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
B=/tmp/mohawk-build
mkdir -p $B
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv; nvcc --version | tail -1;
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; } > $OUT/env.txt 2>&1
t0=$(date +%s)
build_one() { nvcc -O3 -arch=sm_90 -Xcompiler -fPIC -c "$1" -o "$B/$(basename "$1" .cu).o"; }
export -f build_one
export B
ls generated/kernels/cuda/*_sm90.cu | timeout 200 xargs -P 16 -I{} bash -c 'build_one "$1"' _ {} > $OUT/build.log 2>&1
nvcc -shared -o $B/libmohawk_kernels.so $B/*.o >> $OUT/build.log 2>&1 || {
  echo "library build failed here; using the one built on the CPU machine" | tee -a $OUT/build.log
  cp .gpu/prebuilt/libmohawk_kernels.so $B/; }
echo "build: $(( $(date +%s) - t0 )) s" >> $OUT/env.txt
timeout 330 python3 bench/kernels/h200/harness.py --lib $B/libmohawk_kernels.so --table generated/kernels/kernels.json \
  --vendor .vendor/mamba --out $OUT ${HARNESS_ARGS:-} > $OUT/harness.log 2>&1
echo "harness exit $? at $(( $(date +%s) - t0 )) s" >> $OUT/env.txt
source .gpu/unpack.sh .gpu > /dev/null 2>&1
nvcc -O2 -shared -Xcompiler -fPIC -I"$NODE_INCLUDE" runtime/kernels/cuda/addon.c -o $B/mohawk_cuda.node -ldl >> $OUT/build.log 2>&1
# Through Node: every stories-shape variant, and the benchmark shape's forward and step.
timeout 100 "$NODE" .gpu/addon-check.mjs $B/mohawk_cuda.node $B/libmohawk_kernels.so generated/kernels/kernels.json $OUT \
  'n8_p8|ssd_fwd_.*n64|ssd_step_.*n64' > $OUT/node.log 2>&1
echo "node exit $? at $(( $(date +%s) - t0 )) s" >> $OUT/env.txt
timeout 80 ncu --clock-control none --kernel-name kernel --metrics gpu__time_duration.sum python3 bench/kernels/h200/harness.py \
  --lib $B/libmohawk_kernels.so --table generated/kernels/kernels.json --vendor .vendor/mamba --only-fwd > $OUT/ncu.log 2>&1
echo "ncu exit $? at $(( $(date +%s) - t0 )) s" >> $OUT/env.txt
if grep -q "FAIL" $OUT/harness.log; then
  timeout 80 compute-sanitizer --tool memcheck python3 bench/kernels/h200/harness.py \
    --lib $B/libmohawk_kernels.so --table generated/kernels/kernels.json --only-fwd > $OUT/sanitizer.log 2>&1
  echo "sanitizer exit $? at $(( $(date +%s) - t0 )) s" >> $OUT/env.txt
  tail -20 $OUT/sanitizer.log
fi
cat $OUT/env.txt
grep -E "error|FAIL" $OUT/build.log | head -5
tail -12 $OUT/node.log
grep -E "pass_|gpu__time_duration" $OUT/ncu.log | sed 's/(anonymous namespace):://; s/(Uniforms.*) (/ (/' | tail -18
tail -45 $OUT/harness.log
