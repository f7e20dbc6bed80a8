#!/usr/bin/env bash
# RELEASE-PROMOTE version tracking, as the seed writes it:
#   ./scripts/release/update-sot.sh v1.2.3 \
#     --environment=production \
#     --promoted-by=@username \
#     --promotion-time=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# A thin wrapper over `release-promote update-sot`.
set -euo pipefail

. "$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/../lib/seed-command.sh"

usage() {
  cat <<'USAGE'
Usage: ./scripts/release/update-sot.sh <version> --environment=<name> [--promoted-by=@username] [--promotion-time=<ISO time>]

Records in the version records (SoT) that <version> runs in <environment>. A promotion through the
workflow records itself; this is the seed's manual step (e.g. for a change made outside it). The
record goes through the environment's ledger workflow (serialized, nothing lost) and is exported to
<sotDir>/<environment>.json. Runs: release-promote update-sot <version> --environment=<name> ...

Options:
  --environment=<name>        environment, like production (required)
  --promoted-by=@username     who promoted it (default $RELEASE_PROMOTE_USER or @<login>)
  --promotion-time=<ISO>      when, like 2025-10-05T12:00:00Z (default now)

Environment: RELEASE_PROMOTE_CONFIG, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*

Exit status: 0 recorded, 2 bad input, 1 other failure.
USAGE
}

args=()
environment=""
promoted_by=""
promotion_time=""
need() { (($1 >= 2)) || die "$2 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --environment=*) environment="${1#*=}" ;;
    --environment) need $# "$1"; environment="$2"; shift ;;
    --promoted-by=*) promoted_by="${1#*=}" ;;
    --promoted-by) need $# "$1"; promoted_by="$2"; shift ;;
    --promotion-time=*) promotion_time="${1#*=}" ;;
    --promotion-time) need $# "$1"; promotion_time="$2"; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option \"$1\" (accepted: --environment=, --promoted-by=, --promotion-time=; see --help)" ;;
    *) args+=("$1") ;;
  esac
  shift
done
((${#args[@]} == 1)) || die "expected 1 argument, the version, got ${#args[@]} (usage: ./scripts/release/update-sot.sh v1.2.3 --environment=production)"
[[ -n "$environment" ]] || die "--environment=<name> is required, like --environment=production"

cmd=(node "$cli" update-sot "${args[0]}" --environment "$environment")
if [[ -n "$promoted_by" ]]; then cmd+=(--promoted-by "$promoted_by"); fi
if [[ -n "$promotion_time" ]]; then cmd+=(--promotion-time "$promotion_time"); fi
exec "${cmd[@]}"
