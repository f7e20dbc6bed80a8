# Shared by the scripts that fetch or build the test servers (sourced, not run): where they cache,
# how they fail, and how they print their own header comment as --help.

# Outside the repo, so clones and CI runs on the same machine reuse what was built.
CACHE=${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}

die() {
  echo "release-promote: $*" >&2
  exit 1
}

# Prints the calling script's header comment (from line 2 to `set -euo pipefail`).
show_help() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$1"
}

# The arguments of a script that takes only --print-env and --help: sets print_env (0 or 1).
# $1: the script's path (for --help), $2: its usage line; then the arguments.
parse_print_env_args() {
  local script=$1 usage=$2
  shift 2
  print_env=0
  while (($#)); do
    case $1 in
      --print-env) print_env=1 ;;
      -h | --help)
        show_help "$script"
        exit 0
        ;;
      *) die "unknown argument '$1' (usage: $usage)" ;;
    esac
    shift
  done
}

# Prepares the cache for a script that downloads into it: creates and resolves $CACHE, removes the
# temporary directory named by `tmp` on exit, and serialises concurrent runs (parallel test
# processes) with the lock .ensure-$1.lock so only one downloads; .tmp-$1.* left by killed runs
# (SIGKILL skips the EXIT trap) are removed once the lock is held.
lock_cache() {
  local name=$1
  mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE (set RELEASE_PROMOTE_CACHE to a writable directory)"
  CACHE=$(cd "$CACHE" && pwd)
  tmp=''
  trap 'if [[ -n $tmp ]]; then rm -rf -- "$tmp"; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.ensure-$name.lock"
    flock 9
    rm -rf "$CACHE"/.tmp-"$name".*
  fi
}
