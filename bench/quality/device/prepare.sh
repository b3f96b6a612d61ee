#!/usr/bin/env bash
# Prepares .gpu/quality (git-ignored, ~40 MB) for the quality runs on the GPU machine (docs/quality.md §4):
#  - Node 20, Dawn (npm webgpu) and the Vulkan loader .debs (../shared/bench/webgpu-h200/prepare.sh)
#  - bundle/train-entry.mjs: bench/quality/device/train-entry.ts and the reference programs of generated/,
#    bundled by esbuild (the machine has no node_modules)
#  - data/: the teacher, its tokenizer, TinyStories train.txt and valid.txt
# Usage (from the checkout): bash bench/quality/device/prepare.sh; then the `run` tool with carry
# [".gpu/quality"] and command `bash bench/quality/device/run.sh PLAN` (see that file).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
D=.gpu/quality
SHARED=$(cd .. && pwd)/shared
rm -rf "$D" && mkdir -p "$D/data/stories260K" "$D/data/tinystories"
bash "$SHARED/bench/webgpu-h200/prepare.sh" "$D" > /dev/null
node bench/peers/device/bundle.mjs "$D/bundle" train-entry=bench/quality/device/train-entry.ts
cp "$SHARED/data/stories260K/stories260K.bin" "$SHARED/data/stories260K/tok512.bin" "$D/data/stories260K/"
cp "$SHARED/data/tinystories/train.txt" "$SHARED/data/tinystories/valid.txt" "$D/data/tinystories/"
du -sh "$D"
