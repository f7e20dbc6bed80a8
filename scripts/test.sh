#!/usr/bin/env bash
# The test suite (`npm test`): installs what the tests need when missing (npm dependencies, the
# Temporal dev and test servers, Prometheus, PostgreSQL, kube-apiserver and etcd, the Gateway API
# CRDs, Chromium), type-checks, lints, builds dist/, then runs every test file with node's test
# runner, one file at a time (Temporal-backed suites share one machine's two cores, and time skipping
# is global to a test server).
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/ensure-deps.mjs
bash scripts/servers/ensure-servers.sh >/dev/null
bash scripts/prometheus/ensure-prometheus.sh >/dev/null
bash scripts/postgres/ensure-postgres.sh >/dev/null
bash scripts/k8s/ensure-kube-binaries.sh >/dev/null
bash scripts/k8s/ensure-gateway-api-crds.sh >/dev/null
if [ -f scripts/ui/ensure-chromium.sh ]; then bash scripts/ui/ensure-chromium.sh >/dev/null; fi

echo "== typecheck"; npx --no-install tsc -p tsconfig.json --noEmit
echo "== lint"; npx --no-install eslint . && npx --no-install prettier --check --ignore-path .prettierignore . >/dev/null
# The CLI and the worker the tests spawn run the compiled dist/ (bin/release-promote.mjs), as installed.
echo "== build"; node scripts/build.mjs

mapfile -t files < <(find test -name '*.test.ts' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
echo "== ${#files[@]} test files"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
