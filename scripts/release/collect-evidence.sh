#!/usr/bin/env bash
# RELEASE-PROMOTE evidence collection, as the seed writes it:
#   ./scripts/release/collect-evidence.sh v1.2.3
# A thin wrapper over `release-promote collect-evidence`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/collect-evidence.sh <version>

Writes the evidence of a release (or hotfix) from the records store (records.store: files or postgres;
from the release workflow when the store holds none of it), and prints the three paths:
  TEST/release/<version>/promotion.log   timeline, gates, canary evaluations, rollback steps
  TEST/release/<version>/metrics.json    every canary evaluation with inputs, thresholds, verdict, reason
  TEST/release/<version>/approval.json   approvals: approver, channel, time
(under records.evidenceDir of the config; TEST/release by default). The workers keep the evidence
current in the store at every stage change, so this works on any machine that reaches the store.
Runs: release-promote collect-evidence <version>.

Environment: RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 written, 2 bad input or unknown release, 1 other failure.
USAGE
}

positional_args "./scripts/release/collect-evidence.sh <version>" "$@"
((${#args[@]} == 1)) || die "expected 1 argument, the version, got ${#args[@]} (usage: ./scripts/release/collect-evidence.sh v1.2.3)"

exec node "$cli" collect-evidence "${args[0]}"
