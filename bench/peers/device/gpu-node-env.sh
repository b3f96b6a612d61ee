#!/usr/bin/env bash
# Sourced on the GPU machine by the device scripts (bench/peers/device/run.sh, bench/quality/device/run.sh):
# unpacks Node and Dawn from the carried folder DIR (made by ../shared/bench/webgpu-h200/prepare.sh), puts the
# webgpu package where the esbuild bundles in DIR/bundle resolve it, and points the Vulkan loader at NVIDIA's
# ICD when the image keeps it outside the standard folders. Exports NODE.
# Usage: source bench/peers/device/gpu-node-env.sh DIR
dir=${1:?usage: source gpu-node-env.sh DIR}
source "$dir/unpack.sh" "$dir"
mkdir -p "$dir/node_modules" && cp -r "$dir/webgpu" "$dir/node_modules/webgpu"
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f $ICD ] && [ ! -f /usr/share/vulkan/icd.d/nvidia_icd.json ] && [ ! -f /etc/vulkan/icd.d/nvidia_icd.json ]; then export VK_DRIVER_FILES=$ICD; fi
