#!/usr/bin/env bash
# Installs a WebGPU-capable software Vulkan driver for Dawn (npm `webgpu`) without touching the system's
# Mesa: bookworm's Mesa 22 lavapipe is rejected by Dawn, Mesa 25 from bookworm-backports works
# (docs/decisions.md "WebGPU in CI"). Idempotent. Prints the env lines to source:
#   eval "$(scripts/setup-lavapipe.sh)"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${LAVAPIPE_DIR:-$root/.cache/lavapipe}"
icd="$dest/lvp_icd.json"
if [ ! -f "$icd" ]; then
  if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
    (apt-get install -y -qq libvulkan1 >/dev/null 2>&1) || { apt-get update -qq >/dev/null && apt-get install -y -qq libvulkan1 >/dev/null; }
  fi
  work="$dest/apt"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$dest/pkg"
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$work/sources.list"
  opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Debug::NoLocking=1)
  apt-get "${opts[@]}" update -qq >/dev/null 2>&1
  (cd "$dest/pkg" && apt-get "${opts[@]}" download mesa-vulkan-drivers >/dev/null 2>&1)
  dpkg -x "$dest"/pkg/mesa-vulkan-drivers_*.deb "$dest/root"
  lib="$(find "$dest/root" -name libvulkan_lvp.so | head -n 1)"
  src="$(find "$dest/root" -name 'lvp_icd*.json' | head -n 1)"
  sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib\"#" "$src" > "$icd"
fi
echo "export VK_ICD_FILENAMES=$icd"
echo "export XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}"
