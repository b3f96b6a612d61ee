#!/usr/bin/env bash
# Prepares .gpu/speed (git-ignored) for the device call bench/peers/device/run.sh, on this machine:
#  - Node 20, Dawn (npm webgpu) and the Vulkan/GL loader .debs (../shared/bench/webgpu-h200/prepare.sh, ~27 MB)
#  - bundle/entry.mjs + worker-entry.mjs: this checkout's device harness and training worker (esbuild, no
#    node_modules needed there) and tfjs-backend-wasm's .wasm files
#  - bundle/before-entry.mjs: the same recipe steps on the runtime of START_COMMIT (default 94202c1, where
#    the speed work started), from a git archive of it
#  - data/: the teacher, tokenizer, train.txt and run.c's golden logits (for the PyTorch peer's check)
# Usage (from the checkout): bash bench/peers/device/prepare.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
D=.gpu/speed
START=${START_COMMIT:-94202c1}
SHARED=$(cd .. && pwd)/shared
rm -rf "$D" && mkdir -p "$D/data/stories260K" "$D/data/tinystories" "$D/data/golden"
bash "$SHARED/bench/webgpu-h200/prepare.sh" "$D"
node bench/peers/device/bundle.mjs "$D/bundle"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$START" | tar -x -C "$tmp"
mkdir -p "$tmp/runtime/parallel" "$tmp/bench/peers/device"
cp runtime/parallel/program-context.ts "$tmp/runtime/parallel/"
cp bench/peers/device/before-entry.ts bench/peers/device/bundle.mjs "$tmp/bench/peers/device/"
cp runtime/tensor/vendor/tfjs-gradients.mjs "$tmp/runtime/tensor/vendor/"
ln -s "$PWD/node_modules" "$tmp/node_modules"
(cd "$tmp" && node bench/peers/device/bundle.mjs "$OLDPWD/$D/bundle-before" before-entry=bench/peers/device/before-entry.ts)
mv "$D/bundle-before/before-entry.mjs" "$D/bundle/" && rm -rf "$D/bundle-before"
cp "$SHARED/data/stories260K/stories260K.bin" "$SHARED/data/stories260K/tok512.bin" "$D/data/stories260K/"
cp "$SHARED/data/tinystories/train.txt" "$D/data/tinystories/"
cp "$SHARED/golden/once_upon_a_time_pos32.json" "$SHARED/golden/once_upon_a_time_pos32_logits.f32" "$D/data/golden/"
du -sh "$D"
