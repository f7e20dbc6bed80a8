#!/usr/bin/env bash
# RELEASE-PROMOTE manual rollback, as the seed writes it:
#   ./scripts/release/rollback.sh production                   # to the previous version
#   ./scripts/release/rollback.sh production --version=v1.2.2  # to a version that once ran there
# A thin wrapper over `release-promote rollback`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/rollback.sh <environment> [--version=vX.Y.Z]

Rolls <environment> back to the version before the current one (from the version records), or to
--version, which must have run there before (anything else is refused with the list of valid
versions). A promotion holding the environment is cancelled and compensated first. Waits for the
rollback, then prints one verification line per service, like "✓ api-gateway: v1.2.2 (healthy)".
Runs: release-promote rollback <environment> [--version=<version>].

Options:
  --version=vX.Y.Z   the version to restore (default: the previous one)

Environment:
  RELEASE_PROMOTE_USER     who asks (default @<login>); recorded in the audit trail
  RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 rolled back and verified, 1 rollback or verification failed, 2 bad input or refused.
USAGE
}

args=()
version=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --version=*) version="${1#*=}"; [[ -n "$version" ]] || die "--version needs a value, like --version=v1.2.2" ;;
    --version) (($# >= 2)) || die "--version needs a value, like --version=v1.2.2"; version="$2"; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option \"$1\" (accepted: --version=vX.Y.Z; see --help)" ;;
    *) args+=("$1") ;;
  esac
  shift
done
((${#args[@]} == 1)) || die "expected 1 argument, the environment, got ${#args[@]} (usage: ./scripts/release/rollback.sh production [--version=v1.2.2])"

cmd=(node "$cli" rollback "${args[0]}")
if [[ -n "$version" ]]; then cmd+=(--version "$version"); fi
exec "${cmd[@]}"
