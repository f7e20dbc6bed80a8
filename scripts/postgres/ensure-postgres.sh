#!/usr/bin/env bash
# Finds (or obtains) the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`, and `psql` for
# debugging) that the database tests run (see test/helpers/postgres.ts), and prints their directory.
# No service is installed or started.
#
# Lookup order:
#   1. POSTGRES_BIN_DIR (a directory holding executable initdb, pg_ctl and postgres; nothing is downloaded)
#   2. the cache: $CACHE/postgresql/usr/lib/postgresql/15/bin
# When the cache is missing (or holds another version), Debian's `postgresql-15` and
# `postgresql-client-15` packages, pinned to 15.18-0+deb12u1 (override: POSTGRES_DEB_VERSION), are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache. Unpacking, unlike
# `apt-get install`, runs no maintainer scripts: no system user, no cluster, no running server.
# Shared libraries the binaries need but this machine lacks (ldd says "not found"; libpq5 on a machine
# without the PostgreSQL client, say) are taken from the packages' Debian dependencies, unpacked into
# the same tree, and reported as POSTGRES_LD_LIBRARY_PATH, to be prepended to LD_LIBRARY_PATH when
# running the binaries. When nothing is missing, it is not printed.
#
# Cache: ${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}
#
# Usage: ensure-postgres.sh [--print-env]
#   (default)     prints POSTGRES_BIN_DIR=<dir> (and POSTGRES_LD_LIBRARY_PATH=<dirs> when needed)
#   --print-env   prints `export POSTGRES_BIN_DIR=...` (and `export POSTGRES_LD_LIBRARY_PATH=...`)
#                 (use: eval "$(scripts/postgres/ensure-postgres.sh --print-env)")
#
# Idempotent: a warm run only checks files. The packages are unpacked in a temporary directory inside
# the cache and renamed into place, so an interrupted run leaves no half-unpacked tree behind.
set -euo pipefail

# shellcheck source=../lib/ensure-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ensure-common.sh"

readonly VERSION=${POSTGRES_DEB_VERSION:-15.18-0+deb12u1}
readonly MAJOR=${VERSION%%.*}
readonly SERVER_PACKAGE=postgresql-$MAJOR
readonly CLIENT_PACKAGE=postgresql-client-$MAJOR
readonly BIN_SUBDIR=usr/lib/postgresql/$MAJOR/bin
# Checked by ldd, and required in the tree (psql comes from the client package).
readonly BINARIES=(initdb pg_ctl postgres psql)

parse_print_env_args "${BASH_SOURCE[0]}" "ensure-postgres.sh [--print-env]" "$@"

# The override: checked, never downloaded for.
if [[ -n ${POSTGRES_BIN_DIR:-} ]]; then
  [[ -d $POSTGRES_BIN_DIR ]] ||
    die "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR is not a directory (fix it, or unset it to use the cached Debian $SERVER_PACKAGE)"
  BIN_DIR=$(cd "$POSTGRES_BIN_DIR" && pwd)
  for name in initdb pg_ctl postgres; do
    [[ -f $BIN_DIR/$name && -x $BIN_DIR/$name ]] ||
      die "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR has no executable $name (fix it, or unset it to use the cached Debian $SERVER_PACKAGE)"
  done
  "$BIN_DIR/postgres" --version >/dev/null 2>&1 ||
    die "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR: '$BIN_DIR/postgres --version' fails on this machine"
  LIBRARY_PATH=''
else
  lock_cache postgresql
  readonly DIR="$CACHE/postgresql"

  # Library directories (relative to a tree root) that ldd needs on top of the system's, one a line.
  lib_path_in() { # $1: tree root; prints LD_LIBRARY_PATH for that tree (empty when nothing was added)
    local root=$1 rel path=''
    if [[ -f $root/LIBRARY-DIRS ]]; then
      while IFS= read -r rel; do
        if [[ -n $rel ]]; then path+=${path:+:}$root/$rel; fi
      done <"$root/LIBRARY-DIRS"
    fi
    echo "$path"
  }

  # The tree is complete: the version we pin, every binary, and the library list (possibly empty).
  cache_is_complete() {
    local name
    [[ -f $DIR/VERSION && $(<"$DIR/VERSION") == "$VERSION" && -f $DIR/LIBRARY-DIRS ]] || return 1
    for name in "${BINARIES[@]}"; do
      [[ -f $DIR/$BIN_SUBDIR/$name && -x $DIR/$BIN_SUBDIR/$name ]] || return 1
    done
  }

  hint="install PostgreSQL $MAJOR yourself and set POSTGRES_BIN_DIR to the directory holding initdb, pg_ctl and postgres"

  # apt knows package spec $1 (`name` or `name=version`; an unknown version only warns, with status 0).
  apt_knows() { [[ $(apt-cache show "$1" 2>/dev/null | grep -c '^Package:') -gt 0 ]]; }

  # Downloads package spec $1 (`name` or `name=version`) into $tmp/debs and prints the .deb's path.
  download() {
    local spec=$1 name=${1%%=*} log="$tmp/apt-get-download.log" deb
    # apt-get download writes into the working directory; the unsandboxed-as-root notice is harmless.
    if ! (cd "$tmp/debs" && apt-get download "$spec") >>"$log" 2>&1; then
      tail -n 10 "$log" >&2 || true
      die "'apt-get download $spec' failed (no access to the Debian mirror? $hint)"
    fi
    deb=$(find "$tmp/debs" -maxdepth 1 -name "${name}_*.deb" -print -quit)
    [[ -n $deb ]] || die "'apt-get download $spec' produced no .deb file"
    echo "$deb"
  }

  # Sonames that ldd cannot find for the binaries in $tmp/root, with the libraries added so far.
  missing_libraries() {
    local name path
    path=$(lib_path_in "$tmp/root")
    for name in "${BINARIES[@]}"; do
      LD_LIBRARY_PATH=$path${LD_LIBRARY_PATH:+${path:+:}$LD_LIBRARY_PATH} ldd "$tmp/root/$BIN_SUBDIR/$name" 2>/dev/null || true
    done | awk '$2 == "=>" && $3 == "not" && $4 == "found" { print $1 }' | sort -u
  }

  # Library packages (lib*, zlib*) that the .debs unpacked so far depend on and this machine does not
  # have installed, skipping those already tried; the ones named after a missing soname come first
  # (libpq.so.5 -> libpq5, libldap-2.5.so.0 -> libldap-2.5-0).
  candidate_packages() { # $@: missing sonames
    local deb name soname base number guesses=()
    for soname in "$@"; do
      base=${soname%%.so.*} number=${soname##*.so.}
      number=${number%%.*}
      base=${base//_/-}
      if [[ $base =~ [0-9]$ ]]; then guesses+=("${base,,}-$number"); else guesses+=("${base,,}$number"); fi
    done
    for deb in "$tmp"/debs/*.deb; do
      dpkg-deb -f "$deb" Depends Pre-Depends
    done | sed 's/^[A-Za-z-]*: //; s/[,|]/\n/g' | sed 's/(.*)//; s/:any//; s/[[:space:]]//g' |
      grep -E '^(lib|zlib)' | sort -u | while IFS= read -r name; do
        grep -qxF "$name" "$tmp/tried" && continue
        [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$name" 2>/dev/null) == ii* ]] && continue
        if printf '%s\n' "${guesses[@]}" | grep -qxF "$name"; then echo "0 $name"; else echo "1 $name"; fi
      done | sort | cut -d' ' -f2
  }

  # Adds, from the packages' library dependencies, every shared library ldd reports missing.
  add_missing_libraries() {
    local missing candidates name spec deb rel added
    touch "$tmp/tried"
    for _ in 1 2 3 4 5; do # rounds: a library package may need another one
      mapfile -t missing < <(missing_libraries)
      ((${#missing[@]})) || return 0
      mapfile -t candidates < <(candidate_packages "${missing[@]}")
      added=0
      for name in "${candidates[@]}"; do
        echo "$name" >>"$tmp/tried"
        # The same version as the server when the package shares it (libpq5), else apt's candidate.
        spec=$name
        if apt_knows "$name=$VERSION"; then spec=$name=$VERSION; fi
        echo "release-promote: this machine lacks ${missing[*]}; downloading Debian's $name into $DIR" >&2
        deb=$(download "$spec")
        # Only keep it when it ships one of the missing sonames; record where it put them.
        mapfile -t rel < <(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' |
          grep -E "/($(printf '%s\n' "${missing[@]}" | sed 's/[.+]/\\&/g' | paste -sd'|'))$" | xargs -r -n1 dirname)
        if ((${#rel[@]} == 0)); then
          rm -f -- "$deb"
          continue
        fi
        dpkg-deb -x "$deb" "$tmp/root" || die "'dpkg-deb -x $deb' failed"
        printf '%s\n' "${rel[@]}" >>"$tmp/root/LIBRARY-DIRS"
        sort -u -o "$tmp/root/LIBRARY-DIRS" "$tmp/root/LIBRARY-DIRS"
        added=1
        mapfile -t missing < <(missing_libraries)
        ((${#missing[@]})) || return 0
      done
      # Nothing new in this round: more rounds cannot help. (A new package's own dependencies are
      # the next round's candidates.)
      ((added)) || break
    done
    mapfile -t missing < <(missing_libraries)
    ((${#missing[@]} == 0)) ||
      die "the unpacked PostgreSQL binaries need ${missing[*]}, which no Debian dependency of $SERVER_PACKAGE provides ($hint)"
  }

  download_debian_packages() {
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
      die "PostgreSQL binaries not cached and this is not a Debian-like system with apt-get and dpkg-deb ($hint)"
    if ! apt_knows "$SERVER_PACKAGE=$VERSION"; then
      # Package lists are missing (fresh container): refresh them once. Needs root.
      echo "release-promote: running 'apt-get update' to find Debian's $SERVER_PACKAGE $VERSION" >&2
      apt-get update -qq >/dev/null 2>&1 || true
      apt_knows "$SERVER_PACKAGE=$VERSION" ||
        die "Debian's '$SERVER_PACKAGE' package version $VERSION is not available (apt-get update failed or the version is unknown; run 'apt-get update' as root, set POSTGRES_DEB_VERSION to one 'apt-cache policy $SERVER_PACKAGE' lists, or $hint)"
    fi

    tmp=$(mktemp -d "$CACHE/.tmp-postgresql.XXXXXX")
    mkdir "$tmp/debs" "$tmp/root"
    echo "release-promote: downloading Debian's $SERVER_PACKAGE and $CLIENT_PACKAGE $VERSION into $DIR (one-time, ~19 MB)" >&2
    local deb name
    for name in "$SERVER_PACKAGE" "$CLIENT_PACKAGE"; do
      deb=$(download "$name=$VERSION")
      dpkg-deb -x "$deb" "$tmp/root" || die "'dpkg-deb -x $deb' failed"
    done
    for name in "${BINARIES[@]}"; do
      [[ -f $tmp/root/$BIN_SUBDIR/$name && -x $tmp/root/$BIN_SUBDIR/$name ]] ||
        die "the downloaded packages have no $BIN_SUBDIR/$name"
    done
    : >"$tmp/root/LIBRARY-DIRS"
    if command -v ldd >/dev/null 2>&1; then add_missing_libraries; fi

    local path
    path=$(lib_path_in "$tmp/root")
    LD_LIBRARY_PATH=$path${LD_LIBRARY_PATH:+${path:+:}$LD_LIBRARY_PATH} "$tmp/root/$BIN_SUBDIR/postgres" --version >/dev/null 2>&1 ||
      die "the unpacked postgres binary does not run on this machine ($hint)"
    (cd "$tmp/debs" && ls -- *.deb) >"$tmp/root/DEBIAN-PACKAGES"
    echo "$VERSION" >"$tmp/root/VERSION"

    # Rename into place: readers see either no directory or a complete one.
    rm -rf "$DIR"
    mv "$tmp/root" "$DIR"
  }

  if ! cache_is_complete; then download_debian_packages; fi
  BIN_DIR=$DIR/$BIN_SUBDIR
  LIBRARY_PATH=$(lib_path_in "$DIR")
fi

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
if ((print_env)); then
  echo "export POSTGRES_BIN_DIR=$(shell_quote "$BIN_DIR")"
  if [[ -n $LIBRARY_PATH ]]; then echo "export POSTGRES_LD_LIBRARY_PATH=$(shell_quote "$LIBRARY_PATH")"; fi
else
  echo "POSTGRES_BIN_DIR=$BIN_DIR"
  if [[ -n $LIBRARY_PATH ]]; then echo "POSTGRES_LD_LIBRARY_PATH=$LIBRARY_PATH"; fi
fi
exit 0
