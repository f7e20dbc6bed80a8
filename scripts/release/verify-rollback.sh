#!/usr/bin/env bash
# RELEASE-PROMOTE rollback verification, as the seed writes it:
#   ./scripts/release/verify-rollback.sh
#   # ✓ api-gateway: v1.2.2 (healthy)
#   # ✓ orchestrator: v1.2.2 (healthy)
#   # ✓ workers: v1.2.2 (healthy)
# A thin wrapper over `release-promote verify`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/verify-rollback.sh [--environment=production] [--version=vX.Y.Z]

Checks that every service of the environment (production by default) runs the expected version (the
current one in the version records, or --version) and is healthy. Prints one line per service:
  ✓ api-gateway: v1.2.2 (healthy)
  ✗ workers: v1.2.3 (healthy, expected v1.2.2)
Runs: release-promote verify <environment> [--version=<version>].

Options:
  --environment=<name>   environment to verify (default production)
  --version=vX.Y.Z       expected version (default: the current one in the version records)

Environment: RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 every service verified, 1 a service is missing, unhealthy or on another version,
2 bad input (unknown environment, no recorded version).
USAGE
}

environment="production"
version=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --environment=*) environment="${1#*=}" ;;
    --environment) (($# >= 2)) || die "--environment needs a value, like --environment=production"; environment="$2"; shift ;;
    --version=*) version="${1#*=}" ;;
    --version) (($# >= 2)) || die "--version needs a value, like --version=v1.2.2"; version="$2"; shift ;;
    -*) die "unknown option \"$1\" (accepted: --environment=<name>, --version=vX.Y.Z; see --help)" ;;
    *) die "unexpected argument \"$1\" (usage: ./scripts/release/verify-rollback.sh [--environment=production] [--version=vX.Y.Z])" ;;
  esac
  shift
done
[[ -n "$environment" ]] || die "--environment needs a value, like --environment=production"

cmd=(node "$cli" verify "$environment")
if [[ -n "$version" ]]; then cmd+=(--version "$version"); fi
exec "${cmd[@]}"
