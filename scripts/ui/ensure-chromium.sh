#!/usr/bin/env bash
# Makes sure a Chromium that playwright-core can drive is installed, for the Web UI test
# (test/ui/web-ui.test.ts), and prints its path. Uses Debian's `chromium` package: Playwright's own
# browser download is not used (CI reaches package registries only).
#
#   CHROMIUM_PATH   an existing browser executable to use instead (nothing is installed)
#
# Usage: scripts/ui/ensure-chromium.sh      (run as root, or with sudo available, when installing)
# Idempotent: when /usr/bin/chromium exists it only prints the path.
set -euo pipefail

die() {
  echo "release-promote: $*" >&2
  exit 1
}

if [[ -n ${CHROMIUM_PATH:-} ]]; then
  [[ -x $CHROMIUM_PATH ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  echo "$CHROMIUM_PATH"
  exit 0
fi

readonly BROWSER=/usr/bin/chromium
if [[ ! -x $BROWSER ]]; then
  command -v apt-get >/dev/null || die "no $BROWSER and no apt-get: install Chromium and set CHROMIUM_PATH"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "installing chromium needs root (or sudo)"
    SUDO=(sudo)
  fi
  echo "release-promote: installing Debian's chromium (for the Web UI test)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >&2 || die "apt-get update failed"
  # fonts-liberation: readable text in screenshots.
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2 || die "apt-get install chromium failed"
fi
[[ -x $BROWSER ]] || die "$BROWSER is still missing after installing the chromium package"
# The Debian wrapper prints a harmless shell warning on some hosts; only the exit status matters.
"$BROWSER" --version >/dev/null 2>&1 || die "$BROWSER does not run (try: $BROWSER --headless --no-sandbox --version)"
echo "$BROWSER"
