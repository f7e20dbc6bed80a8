#!/usr/bin/env bash
# Finds (or obtains) the `prometheus` and `promtool` binaries that the Prometheus metrics tests run
# against, and prints where they are. No service is installed or started.
#
# Lookup order, for each binary separately:
#   1. PROMETHEUS_PATH / PROMTOOL_PATH (must be executable files; nothing is downloaded)
#   2. PATH
#   3. the cache: $CACHE/prometheus/usr/bin/{prometheus,promtool}
# When either is still missing, Debian's `prometheus` package (bookworm: 2.42.0+ds-5+deb12u1) is
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache. Unpacking, unlike
# `apt-get install`, runs no maintainer scripts: no system user, no systemd unit, no running server.
#
# Cache: ${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}
#
# Usage: ensure-prometheus.sh [--print-env]
#   (default)     prints PROMETHEUS=<path> and PROMTOOL=<path>
#   --print-env   prints `export PROMETHEUS_PATH=...` / `export PROMTOOL_PATH=...`
#                 (use: eval "$(scripts/prometheus/ensure-prometheus.sh --print-env)")
#
# Idempotent: a warm run only checks files. The package is unpacked in a temporary directory inside
# the cache and renamed into place, so an interrupted run leaves no half-unpacked tree behind.
set -euo pipefail

# shellcheck source=../lib/ensure-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ensure-common.sh"

parse_print_env_args "${BASH_SOURCE[0]}" "ensure-prometheus.sh [--print-env]" "$@"

lock_cache prometheus
readonly DIR="$CACHE/prometheus"

# Prints the path of binary $1 (override variable $2), or nothing when it is not found.
resolve() {
  local name=$1 override=$2
  local value=${!override:-}
  if [[ -n $value ]]; then
    [[ -f $value && -x $value ]] ||
      die "$override=$value is not an executable file (fix it, or unset it to use $name from PATH or the cache)"
    echo "$value"
    return
  fi
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  if [[ -f $DIR/usr/bin/$name && -x $DIR/usr/bin/$name ]]; then echo "$DIR/usr/bin/$name"; fi
}

download_debian_package() {
  local hint="install Prometheus 2.x yourself and set PROMETHEUS_PATH and PROMTOOL_PATH"
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
    die "prometheus/promtool not found and this is not a Debian-like system with apt-get and dpkg-deb ($hint)"
  if ! apt-cache show prometheus >/dev/null 2>&1; then
    # Package lists are missing (fresh container): refresh them once. Needs root.
    echo "release-promote: running 'apt-get update' to find Debian's prometheus package" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    apt-cache show prometheus >/dev/null 2>&1 ||
      die "Debian's 'prometheus' package is not available (apt-get update failed or the package is unknown; run 'apt-get update' as root, or $hint)"
  fi

  tmp=$(mktemp -d "$CACHE/.tmp-prometheus.XXXXXX")
  echo "release-promote: downloading Debian's prometheus package into $DIR (one-time, ~19 MB)" >&2
  local log="$tmp/apt-get-download.log"
  # apt-get download writes into the working directory; the unsandboxed-as-root notice is harmless.
  if ! (cd "$tmp" && apt-get download prometheus) >"$log" 2>&1; then
    tail -n 10 "$log" >&2 || true
    die "'apt-get download prometheus' failed (no access to the Debian mirror? $hint)"
  fi
  local deb
  deb=$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
  [[ -n $deb ]] || die "'apt-get download prometheus' produced no .deb file"
  dpkg-deb -x "$deb" "$tmp/root" || die "'dpkg-deb -x $deb' failed"
  [[ -x $tmp/root/usr/bin/prometheus && -x $tmp/root/usr/bin/promtool ]] ||
    die "the downloaded package $(basename "$deb") has no usr/bin/prometheus and usr/bin/promtool"
  "$tmp/root/usr/bin/prometheus" --version >/dev/null 2>&1 ||
    die "the unpacked prometheus binary does not run on this machine ($hint)"
  basename "$deb" >"$tmp/root/DEBIAN-PACKAGE"

  # Rename into place: readers see either no directory or a complete one.
  rm -rf "$DIR"
  mv "$tmp/root" "$DIR"
}

PROMETHEUS=$(resolve prometheus PROMETHEUS_PATH)
PROMTOOL=$(resolve promtool PROMTOOL_PATH)
if [[ -z $PROMETHEUS || -z $PROMTOOL ]]; then
  download_debian_package
  [[ -n $PROMETHEUS ]] || PROMETHEUS="$DIR/usr/bin/prometheus"
  [[ -n $PROMTOOL ]] || PROMTOOL="$DIR/usr/bin/promtool"
fi

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
if ((print_env)); then
  echo "export PROMETHEUS_PATH=$(shell_quote "$PROMETHEUS")"
  echo "export PROMTOOL_PATH=$(shell_quote "$PROMTOOL")"
else
  echo "PROMETHEUS=$PROMETHEUS"
  echo "PROMTOOL=$PROMTOOL"
fi
exit 0
