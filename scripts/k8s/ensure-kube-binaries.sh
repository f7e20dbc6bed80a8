#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd that the Kubernetes integration tests run (see
# test/helpers/kube-apiserver.ts), pinned and cached outside the repository, and prints where they are.
#
#   kube-apiserver  k8s.io/kubernetes v1.35.4        built from Go modules (wrapper module in this directory)
#   etcd            go.etcd.io/etcd/server/v3 v3.6.5 (the version k8s.io/kubernetes v1.35.4 pins)
#   Needs Go >= 1.25 (k8s.io/kubernetes v1.35.4 says `go 1.25.0`; built with GOTOOLCHAIN=local).
#
# Cache: ${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}/kube-v1.35.4/{kube-apiserver,etcd}
# Overrides: KUBE_APISERVER_PATH, ETCD_PATH (existing executables; nothing is built for them).
#
# Usage: ensure-kube-binaries.sh [--print-env]
#   (default)     prints KUBE_APISERVER=<path> and ETCD=<path>
#   --print-env   prints only `export KUBE_APISERVER_PATH=...` / `export ETCD_PATH=...`
#                 (use: eval "$(scripts/k8s/ensure-kube-binaries.sh --print-env)")
#
# Idempotent: a warm run only checks files. A cold build takes 10-20 minutes on 2 cores and needs a
# few GB for the Go module and build caches. Binaries are built into a temporary directory inside
# the cache and renamed into place, so an interrupted run never leaves a half-built binary behind;
# concurrent runs are serialised with flock(1) when it is available. Build log: $CACHE/logs/.
# Module downloads use the normal Go proxy settings; go.sum is committed, so no sumdb access is needed.
set -euo pipefail

readonly KUBE_VERSION=v1.35.4
readonly GO_MIN_MINOR=25
readonly APISERVER_PKG=k8s.io/kubernetes/cmd/kube-apiserver
readonly ETCD_PKG=go.etcd.io/etcd/server/v3

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
# shellcheck source=../lib/ensure-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ensure-common.sh"


parse_print_env_args "${BASH_SOURCE[0]}" "ensure-kube-binaries.sh [--print-env]" "$@"

check_override() { # $1: variable name
  local path=${!1}
  [[ -f $path && -x $path ]] ||
    die "$1=$path is not an executable file (fix it, or unset it to build the pinned one from Kubernetes $KUBE_VERSION)"
}

KUBE_APISERVER=${KUBE_APISERVER_PATH:-}
ETCD=${ETCD_PATH:-}
[[ -n $KUBE_APISERVER ]] && check_override KUBE_APISERVER_PATH
[[ -n $ETCD ]] && check_override ETCD_PATH

if [[ -z $KUBE_APISERVER || -z $ETCD ]]; then
  mkdir -p "$CACHE/logs" || die "cannot create the cache directory $CACHE (set RELEASE_PROMOTE_CACHE to a writable directory)"
  CACHE=$(cd "$CACHE" && pwd)
  dir="$CACHE/kube-$KUBE_VERSION"
  [[ -n $KUBE_APISERVER ]] || KUBE_APISERVER="$dir/kube-apiserver"
  [[ -n $ETCD ]] || ETCD="$dir/etcd"
fi

is_exe() { [[ -f $1 && -x $1 ]]; }

if ! is_exe "$KUBE_APISERVER" || ! is_exe "$ETCD"; then
  hint="or set KUBE_APISERVER_PATH and ETCD_PATH to existing binaries"
  command -v go >/dev/null 2>&1 ||
    die "Go is required to build kube-apiserver and etcd (install Go >=1.$GO_MIN_MINOR from https://go.dev/dl/ and put it on PATH, $hint)"
  go_version=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || go_version=unknown
  if [[ $go_version =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] < GO_MIN_MINOR)); then
    die "$go_version is too old to build Kubernetes $KUBE_VERSION (install Go >=1.$GO_MIN_MINOR from https://go.dev/dl/, $hint)"
  fi
  [[ -f $SCRIPT_DIR/go.mod && -f $SCRIPT_DIR/go.sum ]] ||
    die "missing $SCRIPT_DIR/go.mod or go.sum (is the release-promote checkout complete?)"

  mkdir -p "$dir"
  # The temporary directory lives inside $dir (same filesystem, so `mv` is an atomic rename) and
  # not directly in $CACHE, where ensure-servers.sh deletes other runs' `.tmp-*` leftovers.
  tmp=''
  trap 'if [[ -n $tmp ]]; then rm -rf -- "$tmp"; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # Serialise concurrent runs (e.g. parallel test processes) so that only one builds.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
    # Holding the lock, leftovers of runs that were killed (SIGKILL skips the EXIT trap) are garbage.
    rm -rf "$dir"/.tmp-*
  fi
  tmp=$(mktemp -d "$dir/.tmp-build.XXXXXX")

  log="$CACHE/logs/kube-$KUBE_VERSION-build.log"
  log_started=0
  minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  # Same version stamping as the upstream build (hack/lib/version.sh); without it `--version` and
  # /version report v0.0.0-master. CGO off, as in the upstream release builds (static binaries).
  build_env=(env GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=0)
  build_flags=(-p 2 -trimpath)

  build() { # $1: name, $2: package, $3: -ldflags
    local start=$SECONDS
    ((log_started)) || : >"$log" # a run that finds the binaries built by the run it waited for keeps that log
    log_started=1
    echo "release-promote: building $1 ($2) with $go_version (one-time, 10-20 minutes cold; log: $log)" >&2
    echo "== go build $2 ($(date -u +%FT%TZ))" >>"$log"
    if ! (cd "$SCRIPT_DIR" && "${build_env[@]}" go build "${build_flags[@]}" -ldflags "$3" -o "$tmp/$1" "$2") >>"$log" 2>&1; then
      echo "---- last lines of $log ----" >&2
      tail -n 25 "$log" >&2 || true
      echo "----" >&2
      die "building $1 failed (see $log; $hint)"
    fi
    echo "== built $1 in $((SECONDS - start)) s" >>"$log"
    "$tmp/$1" --version >>"$log" 2>&1 || die "the freshly built $1 does not run (see $log)"
  }

  if ! is_exe "$KUBE_APISERVER"; then
    build kube-apiserver "$APISERVER_PKG" "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    mv -f "$tmp/kube-apiserver" "$KUBE_APISERVER"
  fi
  if ! is_exe "$ETCD"; then
    build etcd "$ETCD_PKG" "-s -w"
    mv -f "$tmp/etcd" "$ETCD"
  fi
fi

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
if ((print_env)); then
  echo "export KUBE_APISERVER_PATH=$(shell_quote "$KUBE_APISERVER")"
  echo "export ETCD_PATH=$(shell_quote "$ETCD")"
else
  echo "KUBE_APISERVER=$KUBE_APISERVER"
  echo "ETCD=$ETCD"
fi
exit 0
