#!/usr/bin/env bash
# RELEASE-PROMOTE Stage 2 (Staging → Canary), as the seed writes it:
#   ./scripts/release/request-canary.sh v1.2.3
# A thin wrapper over `release-promote request-canary`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/request-canary.sh <version>

Asks the RELEASE_APPROVERs (Slack or console, per the config) to approve canary promotion of <version>.
The release may still be soaking in staging: the canary starts when the 2h soak is complete AND a
RELEASE_APPROVER has approved (approve-canary.sh). Runs: release-promote request-canary <version>.

Environment:
  RELEASE_PROMOTE_USER     who asks (default @<login>)
  RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 requested, 2 bad input or refused (unknown version, release past approval), 1 other failure.
USAGE
}

positional_args "./scripts/release/request-canary.sh <version>" "$@"
((${#args[@]} == 1)) || die "expected 1 argument, the version, got ${#args[@]} (usage: ./scripts/release/request-canary.sh v1.2.3)"

exec node "$cli" request-canary "${args[0]}"
