#!/usr/bin/env bash
# Fetches the Gateway API CRDs (standard channel) that the Kubernetes integration tests install on the
# test kube-apiserver (test/kubernetes/gateway-router.test.ts), pinned and cached outside the
# repository, and prints the directory that holds them.
#
#   sigs.k8s.io/gateway-api v1.6.3   fetched as a Go module through the Go module proxy; its
#                                    config/crd/standard/*.yaml are copied (the CRDs, plus the
#                                    upstream safe-upgrades ValidatingAdmissionPolicy)
#   Needs Go (any version with `go mod download -json`); nothing is built.
#
# Cache: ${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}/gateway-api-v1.6.3/crds/
#
# Usage: ensure-gateway-api-crds.sh [--print-env]
#   (default)     prints the directory
#   --print-env   prints only `export GATEWAY_API_CRDS_DIR=...`
#                 (use: eval "$(scripts/k8s/ensure-gateway-api-crds.sh --print-env)")
#
# Idempotent: a warm run only checks the files against the checksums written with them. The module
# is downloaded into a temporary module cache inside the cache directory, checked against the pinned
# go.sum hash below (so no checksum-database access is needed), its CRDs are copied into a temporary
# directory and renamed into place, so an interrupted run never leaves a half-filled directory behind;
# concurrent runs are serialised with flock(1) when it is available. Downloads use the normal
# GOPROXY settings.
set -euo pipefail

readonly GATEWAY_API_MODULE=sigs.k8s.io/gateway-api
readonly GATEWAY_API_VERSION=v1.6.3
# The module's go.sum line (h1: hash of its zip), as `go mod download -json` reports it.
readonly GATEWAY_API_SUM='h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc='
readonly CRD_SUBDIR=config/crd/standard
readonly SUMS=.sha256sums

# shellcheck source=../lib/ensure-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ensure-common.sh"

parse_print_env_args "${BASH_SOURCE[0]}" "ensure-gateway-api-crds.sh [--print-env]" "$@"

mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE (set RELEASE_PROMOTE_CACHE to a writable directory)"
CACHE=$(cd "$CACHE" && pwd)
dir="$CACHE/gateway-api-$GATEWAY_API_VERSION"
crds="$dir/crds"

# Every file listed in the checksum file is present and unchanged, and the HTTPRoute CRD is there.
is_complete() {
  [[ -f $crds/$SUMS && -f $crds/gateway.networking.k8s.io_httproutes.yaml ]] &&
    (cd "$crds" && sha256sum --check --quiet --strict "$SUMS" >/dev/null 2>&1)
}

if ! is_complete; then
  command -v go >/dev/null 2>&1 ||
    die "Go is required to fetch the Gateway API CRDs ($GATEWAY_API_MODULE@$GATEWAY_API_VERSION through the Go module proxy): install Go from https://go.dev/dl/ and put it on PATH"
  command -v sha256sum >/dev/null 2>&1 || die "sha256sum (coreutils) is required"

  mkdir -p "$dir"
  # The temporary directory lives inside $dir (same filesystem, so `mv` is an atomic rename). The
  # module cache in it is read-only as Go writes it: make it writable before removing it.
  tmp=''
  cleanup() { if [[ -n $tmp && -d $tmp ]]; then chmod -R u+w -- "$tmp" 2>/dev/null || true; rm -rf -- "$tmp"; fi; }
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
    # Holding the lock, leftovers of runs that were killed (SIGKILL skips the EXIT trap) are garbage.
    for old in "$dir"/.tmp-*; do
      [[ -e $old ]] || continue
      chmod -R u+w -- "$old" 2>/dev/null || true
      rm -rf -- "$old"
    done
  fi

  if ! is_complete; then # the run we waited for may have fetched them
    tmp=$(mktemp -d "$dir/.tmp-fetch.XXXXXX")
    mkdir "$tmp/work" "$tmp/crds"
    echo "release-promote: fetching $GATEWAY_API_MODULE@$GATEWAY_API_VERSION (Gateway API CRDs) through the Go module proxy" >&2
    # Outside any module (GOWORK off, an empty working directory) and with our own module cache; the
    # hash is checked below against the pinned one instead of the checksum database.
    if ! json=$(cd "$tmp/work" && env GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod GOMODCACHE="$tmp/gomodcache" \
      GONOSUMDB="$GATEWAY_API_MODULE" \
      go mod download -json "$GATEWAY_API_MODULE@$GATEWAY_API_VERSION" 2>"$tmp/go.log"); then
      error=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
      die "go mod download $GATEWAY_API_MODULE@$GATEWAY_API_VERSION failed: ${error:-$(tail -n 5 "$tmp/go.log")} (is $GATEWAY_API_VERSION served by your GOPROXY=$(go env GOPROXY)?)"
    fi
    field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$json"; }
    sum=$(field Sum)
    src="$(field Dir)/$CRD_SUBDIR"
    [[ $sum == "$GATEWAY_API_SUM" ]] ||
      die "$GATEWAY_API_MODULE@$GATEWAY_API_VERSION has hash ${sum:-(none)}, expected $GATEWAY_API_SUM: refusing it"
    [[ -d $src ]] || die "$GATEWAY_API_MODULE@$GATEWAY_API_VERSION has no $CRD_SUBDIR"
    shopt -s nullglob
    files=("$src"/*.yaml)
    shopt -u nullglob
    ((${#files[@]})) || die "$GATEWAY_API_MODULE@$GATEWAY_API_VERSION has no $CRD_SUBDIR/*.yaml"
    cp -- "${files[@]}" "$tmp/crds/"
    chmod 0644 "$tmp/crds"/*.yaml
    grep -q "gateway.networking.k8s.io/bundle-version: $GATEWAY_API_VERSION" "$tmp/crds/gateway.networking.k8s.io_httproutes.yaml" ||
      die "the HTTPRoute CRD of $GATEWAY_API_MODULE@$GATEWAY_API_VERSION does not say bundle-version $GATEWAY_API_VERSION"
    (cd "$tmp/crds" && sha256sum -- *.yaml >"$SUMS")
    # Replace a damaged directory (a removed or edited file) by the fresh one.
    if [[ -e $crds ]]; then
      mv -- "$crds" "$tmp/old"
    fi
    mv -- "$tmp/crds" "$crds"
  fi
fi

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
if ((print_env)); then
  echo "export GATEWAY_API_CRDS_DIR=$(shell_quote "$crds")"
else
  echo "$crds"
fi
exit 0
