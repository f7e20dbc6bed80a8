#!/usr/bin/env bash
# RELEASE-PROMOTE Stage 1 (Dev → Staging), as the seed writes it:
#   ./scripts/deploy.sh staging <sha>
# A thin wrapper over `release-promote start`: it works out the version, then starts the durable
# promotion of the commit (dev gates, staging deploy and soak, approval, canary, production).
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/deploy.sh staging <sha> [--again]

Starts the promotion of commit <sha> (RELEASE-PROMOTE Stage 1 onwards): dev gates (CI, coverage >= 80%,
no critical/high findings, review), deploy to staging, a 2h healthy soak with E2E/load/security gates,
approval, a 10% canary for 30 min, then production. Runs: release-promote start <version> --commit <sha>.

A release always enters at staging, so "staging" is the only first argument accepted; production is
reached through request-canary.sh / approve-canary.sh, never by deploying to it directly.

The version is, in this order:
  1. $RELEASE_VERSION when set (CI sets it from the pushed tag), else
  2. the vX.Y.Z tag on <sha>: git describe --tags --exact-match <sha>.
An untagged commit without RELEASE_VERSION is refused: tag it (git tag v1.2.3 <sha>) first.
A version has one promotion: running it again for a version in flight or already promoted from the
same commit starts nothing and prints the existing release (exit 0); the same version from another
commit is refused (exit 2). A version whose promotion ended without reaching production (rolled back,
rejected, failed) is promoted again. The rules (approvers, gates, thresholds, durations) are the
installation's, from the workers' config, whatever this repository's config file says.

Options:
  --again                  promote a version that was already promoted, a second time, on purpose (audited)

Environment:
  RELEASE_VERSION          version to promote, like v1.2.3 (overrides the tag)
  RELEASE_PROMOTE_USER     who starts the release (default @$GITHUB_ACTOR in GitHub Actions, else @<login>);
                           that person may not approve it
  GITHUB_RUN_ID            recorded as ci_run_id in the audit trail
  RELEASE_PROMOTE_CONFIG   config file (default ./release-promote.yaml)
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*   where Temporal runs

Exit status: 0 started (or already in flight or promoted from this commit), 2 bad input or refused, 1 other failure.
USAGE
}

again=()
passed=()
for arg in "$@"; do
  if [[ "$arg" == --again ]]; then again=(--again); else passed+=("$arg"); fi
done
positional_args "./scripts/deploy.sh staging <sha> [--again]" ${passed[@]+"${passed[@]}"}

((${#args[@]} == 2)) || die "expected 2 arguments, got ${#args[@]} (usage: ./scripts/deploy.sh staging <sha>)"
environment="${args[0]}"
sha="${args[1]}"
[[ "$environment" == staging ]] || die "a release enters at staging: the first argument must be \"staging\", not \"$environment\" (production is reached by approval: request-canary.sh, approve-canary.sh)"
[[ -n "$sha" ]] || die "the commit SHA is empty (usage: ./scripts/deploy.sh staging <sha>)"
command -v node >/dev/null || { echo "$me: node (>= 20) is not on PATH" >&2; exit 1; }

# The full SHA when git knows the commit (an abbreviated one works too), else as given.
in_git=false
if git rev-parse --git-dir >/dev/null 2>&1; then in_git=true; fi
if $in_git && full="$(git rev-parse --verify --quiet "${sha}^{commit}")"; then sha="$full"; fi

if [[ -n "${RELEASE_VERSION:-}" ]]; then
  version="$RELEASE_VERSION"
elif $in_git && version="$(git describe --tags --exact-match --match 'v[0-9]*' "$sha" 2>/dev/null)"; then
  :
else
  die "commit $sha has no vX.Y.Z tag and RELEASE_VERSION is not set: tag it (git tag v1.2.3 $sha) or set RELEASE_VERSION"
fi

start=(node "$cli" start "$version" --commit "$sha" ${again[@]+"${again[@]}"})
if [[ -n "${RELEASE_PROMOTE_USER:-}" ]]; then
  start+=(--requested-by "$RELEASE_PROMOTE_USER")
elif [[ -n "${GITHUB_ACTOR:-}" ]]; then
  start+=(--requested-by "@$GITHUB_ACTOR")
fi
if [[ -n "${GITHUB_RUN_ID:-}" ]]; then start+=(--ci-run-id "$GITHUB_RUN_ID"); fi

exec "${start[@]}"
