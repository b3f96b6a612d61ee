#!/usr/bin/env bash
# On the CPU machine, before a device run: the carried Node (with headers, for the addon), the bundled Node
# check, and the Triton peer's sources. Everything lands in ignored folders (.gpu, .vendor).
#   bench/kernels/h200/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -f .gpu/node.xz ] && [ -f .gpu/node-include.tar.xz ] || ../shared/bench/webgpu-h200/prepare.sh .gpu --headers
npx esbuild bench/kernels/h200/addon-check.ts --bundle --platform=node --format=esm --log-level=warning \
  --outfile=.gpu/addon-check.mjs \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
# The Triton peer: state-spaces/mamba's SSD ops (fetched mirror; never committed).
if [ ! -f .vendor/mamba/mamba_ssm/ops/triton/ssd_combined.py ]; then
  echo "missing .vendor/mamba: copy mamba_ssm/ops/triton/*.py and mamba_ssm/utils/{torch,determinism}.py of state-spaces/mamba there" >&2
  exit 1
fi
# A library built here, used there only if building on the GPU machine fails.
if [ "${PREBUILD:-1}" = 1 ]; then
  mkdir -p .gpu/prebuilt
  for f in generated/kernels/cuda/*_sm90.cu; do nvcc -O3 -arch=sm_90 -Xcompiler -fPIC -c "$f" -o ".gpu/prebuilt/$(basename "$f" .cu).o"; done
  nvcc -shared -o .gpu/prebuilt/libmohawk_kernels.so .gpu/prebuilt/*.o && rm .gpu/prebuilt/*.o
fi
du -sh .gpu .vendor
