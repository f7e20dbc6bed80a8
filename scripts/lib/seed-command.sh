# shellcheck shell=bash
# What every seed-command wrapper (scripts/deploy.sh, scripts/release/*.sh) shares: its name in
# messages, the CLI it runs, input errors as one line with exit 2 (the CLI's own convention), and
# the argument loop of the wrappers that take positional arguments only. Sourced after
# `set -euo pipefail`; the wrapper defines usage().

me="$(basename -- "$0")"
cli="$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../../bin/release-promote.mjs"

die() {
  echo "$me: $*" >&2
  exit 2
}

# positional_args "<usage line>" "$@": the arguments into args=(); --help prints usage() and exits.
positional_args() {
  local usage_line="$1"
  shift
  args=()
  while (($#)); do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --) shift; args+=("$@"); break ;;
      -*) die "unknown option \"$1\" (usage: $usage_line; see --help)" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
}
