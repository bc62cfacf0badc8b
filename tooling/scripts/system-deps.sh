#!/usr/bin/env bash
# Installs the system packages dl's WebGPU runs and tests need on a Debian machine with no
# GPU: Mesa's lavapipe Vulkan driver from bookworm-backports (Dawn refuses bookworm's own
# Mesa 22), Debian's Chromium for the browser tests, and Debian's dataset-fashion-mnist
# (the Fashion-MNIST files @dl/vision's tests read). Idempotent; prints what it does.
#
#   tooling/scripts/system-deps.sh            all parts
#   tooling/scripts/system-deps.sh vulkan     only the Vulkan driver
#   tooling/scripts/system-deps.sh chromium   only Chromium
#   tooling/scripts/system-deps.sh datasets   only the Fashion-MNIST files
#
# It does nothing where a WebGPU adapter already works (driver part), where Chromium is
# already installed (browser part), where the Fashion-MNIST folder exists (datasets part),
# or where the system is not Debian.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"
say() { printf '[system-deps] %s\n' "$*"; }

if [[ ! -r /etc/os-release ]] || ! grep -qE '^ID=debian$' /etc/os-release; then
  say "not Debian: nothing to do (install a Vulkan driver and Chromium yourself if WebGPU is missing)"
  exit 0
fi
# shellcheck disable=SC1091
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"

sudo_cmd=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    say "not root and no sudo: run this script as root"; exit 1
  fi
fi
apt_updated=0
apt_update() {
  if [[ $apt_updated == 0 ]]; then
    say "apt-get update"
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null
    apt_updated=1
  fi
}
# apt's own progress goes to a log, shown only when it fails.
apt_install() {
  say "apt-get install $*"
  local log
  log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"; say "apt-get install failed"; exit 1
  fi
  rm -f "$log"
}

# Prints the mirror URI and keyring of the machine's main Debian suite, read from its own
# apt sources (deb822 .sources files or one-line .list files), so backports comes from the
# same mirror the machine already trusts.
main_debian_source() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    awk -v suite="$codename" '
      function flush() {
        if (uris != "" && suites ~ ("(^| )" suite "( |$)") && uris !~ /security/) {
          split(uris, u, " "); print u[1] "\t" signed; found = 1; exit
        }
        uris = ""; suites = ""; signed = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
      END { if (!found) flush() }
    ' "$f" | head -n 1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    # deb [options] URI suite components...
    awk -v suite="$codename" '
      $1 == "deb" {
        i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite && $i !~ /security/) { print $i "\t"; exit }
      }' "$f"
  done
}

webgpu_works() {
  node "$here/probe-webgpu.mjs" >/dev/null 2>&1
}

install_vulkan() {
  if webgpu_works; then
    say "a WebGPU adapter already works: Vulkan driver left as it is"
    return
  fi
  local backports="${codename}-backports"
  local list=/etc/apt/sources.list.d/dl-${backports}.sources
  if ! grep -rqsE "(^Suites:.*|^deb .*) ${backports}( |$)" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local source uri signed
    source="$(main_debian_source | head -n 1)"
    uri="${source%%$'\t'*}"
    signed="${source#*$'\t'}"
    if [[ -z "$uri" ]]; then
      uri=http://deb.debian.org/debian
      say "no ${codename} source found in /etc/apt; using ${uri}"
    fi
    [[ -n "$signed" && "$signed" != "$uri" ]] || signed=/usr/share/keyrings/debian-archive-keyring.gpg
    say "adding ${backports} (${uri}) as ${list}"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
      "$uri" "$backports" "$signed" | "${sudo_cmd[@]}" tee "$list" >/dev/null
    apt_updated=0
  fi
  apt_update
  say "installing Mesa's lavapipe Vulkan driver from ${backports}"
  apt_install -t "$backports" mesa-vulkan-drivers libvulkan1
  if webgpu_works; then
    say "WebGPU adapter: $(node "$here/probe-webgpu.mjs" 2>/dev/null)"
  else
    say "the driver is installed but no WebGPU adapter answers yet:"
    node "$here/probe-webgpu.mjs" || true
    say "(run 'pnpm install' first if the webgpu package is missing)"
  fi
}

install_chromium() {
  if command -v chromium >/dev/null; then
    say "Chromium already installed: $(chromium --version 2>/dev/null || echo '?')"
    return
  fi
  apt_update
  apt_install chromium
  say "installed $(chromium --version 2>/dev/null || echo chromium)"
}

# Fashion-MNIST's four gzipped IDX files, under /usr/share/datasets/fashion-mnist/.
install_datasets() {
  local folder=/usr/share/datasets/fashion-mnist
  if [[ -r "$folder/train-images-idx3-ubyte.gz" ]]; then
    say "Fashion-MNIST already installed in $folder"
    return
  fi
  apt_update
  apt_install dataset-fashion-mnist
  say "installed Fashion-MNIST in $folder"
}

case "$what" in
  all) install_vulkan; install_chromium; install_datasets ;;
  vulkan) install_vulkan ;;
  chromium) install_chromium ;;
  datasets) install_datasets ;;
  *) say "unknown part '$what' (expected all, vulkan, chromium or datasets)"; exit 2 ;;
esac
