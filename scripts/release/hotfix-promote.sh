#!/usr/bin/env bash
# RELEASE-PROMOTE hotfix fast track, as the seed writes it:
#   ./scripts/release/hotfix-promote.sh v1.2.4 \
#     --skip-staging \
#     --approver1=@senior-eng \
#     --approver2=@team-lead
# A thin wrapper over `release-promote hotfix`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/hotfix-promote.sh <version> --skip-staging --approver1=@a --approver2=@b [--commit=<sha>]

Starts the hotfix fast track of <version>: staging and its soak are skipped, then the usual 10% canary
and production. It needs two approvals from two different RELEASE_APPROVERs, neither the requester.
Naming the approvers asks them; it does not approve: each confirms with
  ./scripts/release/approve-canary.sh <version> --approver=@them
Runs: release-promote hotfix <version> --skip-staging --approver1=<a> --approver2=<b>.

Options:
  --skip-staging        required: acknowledges that staging and its soak are skipped
  --approver1=@a        first approver to ask  } name both, or neither (then any two
  --approver2=@b        second approver to ask } RELEASE_APPROVERs may approve)
  --commit=<sha>        commit of the hotfix (default: the commit the tag <version> points at, via git)

Environment:
  RELEASE_PROMOTE_USER     who requests the hotfix (default @$GITHUB_ACTOR in GitHub Actions, else @<login>)
  GITHUB_RUN_ID            recorded as ci_run_id in the audit trail
  RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 started, 2 bad input or refused, 1 other failure.
USAGE
}

args=()
skip_staging=false
approver1=""
approver2=""
commit=""
need() { (($1 >= 2)) || die "$2 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --skip-staging) skip_staging=true ;;
    --approver1=*) approver1="${1#*=}" ;;
    --approver1) need $# "$1"; approver1="$2"; shift ;;
    --approver2=*) approver2="${1#*=}" ;;
    --approver2) need $# "$1"; approver2="$2"; shift ;;
    --commit=*) commit="${1#*=}" ;;
    --commit) need $# "$1"; commit="$2"; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option \"$1\" (accepted: --skip-staging, --approver1=, --approver2=, --commit=; see --help)" ;;
    *) args+=("$1") ;;
  esac
  shift
done
((${#args[@]} == 1)) || die "expected 1 argument, the version, got ${#args[@]} (usage: ./scripts/release/hotfix-promote.sh v1.2.4 --skip-staging --approver1=@a --approver2=@b)"
$skip_staging || die "--skip-staging is required: a hotfix skips staging and its soak, and says so"
if [[ -n "$approver1" && -z "$approver2" ]] || [[ -z "$approver1" && -n "$approver2" ]]; then
  die "name both --approver1 and --approver2, or neither (then any two RELEASE_APPROVERs may approve)"
fi

cmd=(node "$cli" hotfix "${args[0]}" --skip-staging)
if [[ -n "$approver1" ]]; then cmd+=(--approver1 "$approver1" --approver2 "$approver2"); fi
if [[ -n "$commit" ]]; then cmd+=(--commit "$commit"); fi
if [[ -n "${RELEASE_PROMOTE_USER:-}" ]]; then
  cmd+=(--requested-by "$RELEASE_PROMOTE_USER")
elif [[ -n "${GITHUB_ACTOR:-}" ]]; then
  cmd+=(--requested-by "@$GITHUB_ACTOR")
fi
if [[ -n "${GITHUB_RUN_ID:-}" ]]; then cmd+=(--ci-run-id "$GITHUB_RUN_ID"); fi
exec "${cmd[@]}"
