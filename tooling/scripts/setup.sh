#!/usr/bin/env bash
# Sets up a clone of dl: the pinned pnpm, the workspace's packages, and the system
# packages WebGPU needs without a GPU (see system-deps.sh). Idempotent; run it from
# anywhere, as root on a fresh Debian machine (or as a user where these are installed).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*"; }

node_version="$(node --version 2>/dev/null || true)"
if [[ -z "$node_version" ]]; then
  say "Node.js is missing: install Node.js 20.19 or later"; exit 1
fi
major_minor="${node_version#v}"
if (( ${major_minor%%.*} < 20 )) || { (( ${major_minor%%.*} == 20 )) && (( $(cut -d. -f2 <<<"$major_minor") < 19 )); }; then
  say "Node.js $node_version is too old: dl needs 20.19 or later"; exit 1
fi

# The pnpm version pinned in package.json's packageManager field.
pinned="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if [[ "$(pnpm --version 2>/dev/null || true)" != "$pinned" ]]; then
  say "installing pnpm $pinned (npm install -g)"
  npm install -g --no-fund --no-audit "pnpm@$pinned" >/dev/null
fi
say "pnpm $(pnpm --version), Node.js $node_version"

say "pnpm install --frozen-lockfile"
CI=true pnpm install --frozen-lockfile

"$root/tooling/scripts/system-deps.sh"
say "done"
