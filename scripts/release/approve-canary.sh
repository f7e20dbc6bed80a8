#!/usr/bin/env bash
# RELEASE-PROMOTE Stage 2 approval, as the seed writes it:
#   ./scripts/release/approve-canary.sh v1.2.3 --approver=@username
# A thin wrapper over `release-promote approve`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/approve-canary.sh <version> --approver=@username [--not-before=<ISO time>]

Approves canary promotion of <version> (requires the RELEASE_APPROVER role; the person who started the
release may not approve it). The canary starts once the staging soak is complete, and not before
--not-before when given (a scheduled promotion). For a hotfix, each named approver runs this command
once (two different approvers). Runs: release-promote approve <version> --approver=<identity>.

Options:
  --approver=@username       who approves (required)
  --not-before=<ISO time>    do not start the canary before this time, like 2025-10-05T14:00:00Z

Environment: RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 approved, 2 bad input or refused (with the reason, e.g. not a RELEASE_APPROVER), 1 other failure.
USAGE
}

args=()
approver=""
not_before=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --approver=*) approver="${1#*=}" ;;
    --approver) (($# >= 2)) || die "--approver needs a value, like --approver=@username"; approver="$2"; shift ;;
    --not-before=*) not_before="${1#*=}" ;;
    --not-before) (($# >= 2)) || die "--not-before needs an ISO time, like --not-before=2025-10-05T14:00:00Z"; not_before="$2"; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option \"$1\" (accepted: --approver=@username, --not-before=<ISO time>; see --help)" ;;
    *) args+=("$1") ;;
  esac
  shift
done
((${#args[@]} == 1)) || die "expected 1 argument, the version, got ${#args[@]} (usage: ./scripts/release/approve-canary.sh v1.2.3 --approver=@username)"
[[ -n "$approver" ]] || die "--approver=@username is required (usage: ./scripts/release/approve-canary.sh ${args[0]} --approver=@username)"

cmd=(node "$cli" approve "${args[0]}" --approver "$approver")
if [[ -n "$not_before" ]]; then cmd+=(--not-before "$not_before"); fi
exec "${cmd[@]}"
