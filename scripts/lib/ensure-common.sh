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
