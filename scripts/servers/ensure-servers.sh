#!/usr/bin/env bash
# Obtains the two real Temporal servers that the tests, the demo and the CLI use, pinned and cached
# outside the repository, and prints where they are.
#
#   Temporal CLI (dev server)      v1.5.1   built with `go install` (needs Go >= 1.25)
#   Java time-skipping test server 1.38.0   classpath resolved from Maven Central (needs java + mvn)
#
# Cache: ${RELEASE_PROMOTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-promote}
# Overrides: TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH (existing executables; nothing is built).
#
# Usage: ensure-servers.sh [--print-env] [--only cli|test-server]
#   (default)     prints TEMPORAL_CLI=<path> and TEMPORAL_TEST_SERVER=<path>
#   --print-env   prints only `export TEMPORAL_CLI_PATH=...` / `export TEMPORAL_TEST_SERVER_PATH=...`
#                 (use: eval "$(scripts/servers/ensure-servers.sh --print-env)")
#   --only X      ensures just one of the two servers
#
# Idempotent: a warm run only checks files. Builds go to a temporary directory inside the cache and
# are renamed into place, so an interrupted run never leaves a half-built server behind; concurrent
# runs are serialised with flock(1) when it is available. Build logs: $CACHE/logs/.
set -euo pipefail

readonly CLI_VERSION=v1.5.1
readonly CLI_MODULE=github.com/temporalio/cli/cmd/temporal
readonly GO_MIN_MINOR=25 # cli v1.5.1 go.mod says `go 1.25.0` and we build with GOTOOLCHAIN=local
readonly TEST_SERVER_VERSION=1.38.0
readonly DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly POM="$SCRIPT_DIR/test-server-pom.xml"
# shellcheck source=../lib/ensure-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ensure-common.sh"


print_env=0
only=all
while (($#)); do
  case $1 in
    --print-env) print_env=1 ;;
    --only)
      [[ $# -ge 2 ]] || die "--only needs an argument: cli or test-server"
      only=$2
      shift
      ;;
    --only=*) only=${1#--only=} ;;
    -h | --help)
      show_help "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (usage: ensure-servers.sh [--print-env] [--only cli|test-server])" ;;
  esac
  shift
done
case $only in all | cli | test-server) ;; *) die "--only must be 'cli' or 'test-server', not '$only'" ;; esac

mkdir -p "$CACHE/logs" || die "cannot create the cache directory $CACHE (set RELEASE_PROMOTE_CACHE to a writable directory)"
CACHE=$(cd "$CACHE" && pwd)

# Temporary directories created by this run; removed on exit (successful or not).
tmp_dirs=()
server_pid='' # a test server started in the background by this run
cleanup() {
  local d
  if [[ -n $server_pid ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  for d in "${tmp_dirs[@]+"${tmp_dirs[@]}"}"; do rm -rf -- "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

new_tmp_dir() { # $1: name prefix; sets $tmp
  tmp=$(mktemp -d "$CACHE/.tmp-$1.XXXXXX")
  tmp_dirs+=("$tmp")
}

# Serialise concurrent runs (e.g. parallel test processes) so that only one builds.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.ensure-servers.lock"
  flock 9
  # Holding the lock, our leftovers from killed runs (SIGKILL skips the EXIT trap) are garbage.
  # Only our own prefixes: other tools share this cache directory.
  rm -rf "$CACHE"/.tmp-cli.* "$CACHE"/.tmp-test-server.*
fi

# Shows the end of a failed step's log on stderr.
show_log_tail() {
  echo "---- last lines of $1 ----" >&2
  tail -n 25 "$1" >&2 || true
  echo "----" >&2
}

# ---------------------------------------------------------------------------------------------
# Temporal CLI (provides `temporal server start-dev`)
# ---------------------------------------------------------------------------------------------
ensure_cli() {
  if [[ -n ${TEMPORAL_CLI_PATH:-} ]]; then
    [[ -f $TEMPORAL_CLI_PATH && -x $TEMPORAL_CLI_PATH ]] ||
      die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file (fix it, or unset it to build the pinned Temporal CLI $CLI_VERSION)"
    TEMPORAL_CLI=$TEMPORAL_CLI_PATH
    return
  fi
  local dir="$CACHE/temporal-cli-$CLI_VERSION"
  TEMPORAL_CLI="$dir/temporal"
  [[ -f $TEMPORAL_CLI && -x $TEMPORAL_CLI ]] && return

  local go_hint="install Go >=1.$GO_MIN_MINOR from https://go.dev/dl/, or set TEMPORAL_CLI_PATH to an existing 'temporal' binary"
  command -v go >/dev/null 2>&1 ||
    die "Go is required to build the Temporal dev server ($go_hint)"
  local go_version
  go_version=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || go_version=unknown
  if [[ $go_version =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] < GO_MIN_MINOR)); then
    die "$go_version is too old to build the Temporal CLI $CLI_VERSION ($go_hint)"
  fi

  local log="$CACHE/logs/temporal-cli-$CLI_VERSION-build.log"
  echo "release-promote: building the Temporal CLI $CLI_VERSION with $go_version (one-time, several minutes; log: $log)" >&2
  new_tmp_dir cli
  # Same -ldflags as the upstream release build (.goreleaser.yml): stripped, and `temporal --version`
  # reports the real version instead of 0.0.0-DEV.
  if ! GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" \
    go install -trimpath -ldflags="-s -w -X github.com/temporalio/cli/temporalcli.Version=${CLI_VERSION#v}" \
    "$CLI_MODULE@$CLI_VERSION" >"$log" 2>&1; then
    show_log_tail "$log"
    die "building the Temporal CLI failed (see $log; or set TEMPORAL_CLI_PATH to an existing 'temporal' binary)"
  fi
  [[ -x $tmp/temporal ]] || die "go install finished but produced no 'temporal' binary (see $log)"
  mkdir -p "$dir"
  mv -f "$tmp/temporal" "$TEMPORAL_CLI" # same filesystem: an atomic rename
}

# ---------------------------------------------------------------------------------------------
# Java time-skipping test server (what TestWorkflowEnvironment.createTimeSkipping runs)
# ---------------------------------------------------------------------------------------------

# Reads a classpath file and succeeds when every entry still exists (e.g. ~/.m2 was not wiped).
classpath_intact() {
  local cp entry
  [[ -s $1 ]] || return 1
  IFS= read -r cp <"$1" || [[ -n $cp ]] || return 1
  local IFS=:
  for entry in $cp; do [[ -e $entry ]] || return 1; done
}

# Best effort: put slf4j-nop next to slf4j-api on the classpath (same version, same local Maven
# repository), so that the server does not print the 3-line "SLF4J: Failed to load class
# StaticLoggerBinder" warning into every test run's output. $1: classpath file; $2: log file.
add_slf4j_nop() {
  local cp api nop version
  IFS= read -r cp <"$1" || true
  api=$(tr ':' '\n' <<<"$cp" | grep -m1 '/slf4j-api-[^/]*\.jar$') || return 0
  version=${api##*/slf4j-api-}
  version=${version%.jar}
  nop=${api//slf4j-api/slf4j-nop}
  if [[ ! -f $nop ]]; then
    local get=(-B -q -ntp -Dstyle.color=never -f "$POM" "-Dtemporal.test-server.version=$TEST_SERVER_VERSION" "$DEPENDENCY_PLUGIN:get"
      "-Dartifact=org.slf4j:slf4j-nop:$version" -Dtransitive=false)
    mvn -o "${get[@]}" >>"$2" 2>&1 || mvn "${get[@]}" >>"$2" 2>&1 || return 0
  fi
  [[ -f $nop ]] && printf '%s:%s\n' "$cp" "$nop" >"$1"
  return 0
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null ||
    echo $((20000 + RANDOM % 30000))
}

# Writes the wrapper. It must `exec` java: the SDK SIGKILLs the pid it started and then waits for
# EOF on the server's stdout/stderr, so a JVM left behind a shell would hang teardown().
write_wrapper() { # $1: target file, $2: use CDS archive (0/1)
  local cds_flag=''
  [[ $2 == 1 ]] && cds_flag=' -XX:SharedArchiveFile="$dir/app-cds.jsa"'
  cat >"$1" <<EOF
#!/bin/sh
# Temporal Java time-skipping test server $TEST_SERVER_VERSION (io.temporal:temporal-test-server).
# Generated by release-promote scripts/servers/ensure-servers.sh; regenerate by deleting this directory.
# Usage: temporal-test-server <port> [--enable-time-skipping]
# exec (not a child process): the Temporal SDK SIGKILLs the pid it started.
dir=\$(CDPATH= cd -- "\$(dirname -- "\$0")" && pwd)
IFS= read -r cp < "\$dir/classpath.txt" || [ -n "\$cp" ]
if [ -n "\${JAVA_HOME:-}" ] && [ -x "\$JAVA_HOME/bin/java" ]; then java="\$JAVA_HOME/bin/java"; else java=java; fi
exec "\$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto$cds_flag \\
  -cp "\$cp" io.temporal.testserver.TestServer "\$@"
EOF
  chmod +x "$1"
}

# Starts the server once with -XX:ArchiveClassesAtExit so that later starts map the classes it
# loaded from a CDS archive instead of parsing and verifying them again. Succeeds if the archive
# was written. $1: directory holding classpath.txt; $2: log file.
build_cds_archive() {
  local dir=$1 log=$2 cp port pid i listening=0
  IFS= read -r cp <"$dir/classpath.txt" || true
  port=$(free_port)
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -XX:ArchiveClassesAtExit="$dir/app-cds.jsa" \
    -cp "$cp" io.temporal.testserver.TestServer "$port" >>"$log" 2>&1 </dev/null &
  pid=$!
  server_pid=$pid
  for ((i = 0; i < 600; i++)); do # up to 60 s
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      listening=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # SIGTERM lets the JVM exit normally, which is when the dynamic archive is dumped.
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  server_pid=''
  ((listening)) && [[ -s $dir/app-cds.jsa ]]
}

ensure_test_server() {
  if [[ -n ${TEMPORAL_TEST_SERVER_PATH:-} ]]; then
    [[ -f $TEMPORAL_TEST_SERVER_PATH && -x $TEMPORAL_TEST_SERVER_PATH ]] ||
      die "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file (fix it, or unset it to set up the pinned Java test server $TEST_SERVER_VERSION)"
    TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER_PATH
    return
  fi
  local dir="$CACHE/temporal-test-server-$TEST_SERVER_VERSION"
  TEMPORAL_TEST_SERVER="$dir/temporal-test-server"
  if [[ -x $TEMPORAL_TEST_SERVER ]] && classpath_intact "$dir/classpath.txt"; then return; fi

  local hint="or set TEMPORAL_TEST_SERVER_PATH to an existing Temporal test server executable"
  command -v java >/dev/null 2>&1 ||
    die "Java is required to run the Temporal time-skipping test server (install Java 17 or newer, e.g. 'apt-get install openjdk-17-jre-headless', $hint)"
  command -v mvn >/dev/null 2>&1 ||
    die "Maven is required to download the Temporal test server $TEST_SERVER_VERSION from Maven Central (install it, e.g. 'apt-get install maven', $hint)"
  [[ -f $POM ]] || die "missing $POM (is the release-promote checkout complete?)"

  local log="$CACHE/logs/temporal-test-server-$TEST_SERVER_VERSION-setup.log"
  : >"$log"
  new_tmp_dir test-server
  local mvn_args=(-B -q -ntp -Dstyle.color=never -f "$POM" "-Dtemporal.test-server.version=$TEST_SERVER_VERSION"
    "$DEPENDENCY_PLUGIN:build-classpath" -Dmdep.includeScope=runtime "-Dmdep.outputFile=$tmp/classpath.txt")
  # Offline first: when ~/.m2 already holds everything, no network access at all.
  if ! mvn -o "${mvn_args[@]}" >>"$log" 2>&1; then
    echo "release-promote: downloading the Temporal test server $TEST_SERVER_VERSION from Maven Central (one-time; log: $log)" >&2
    if ! mvn "${mvn_args[@]}" >>"$log" 2>&1; then
      show_log_tail "$log"
      die "resolving io.temporal:temporal-test-server:$TEST_SERVER_VERSION with Maven failed (see $log; check access to Maven Central or ~/.m2/settings.xml, $hint)"
    fi
  fi
  classpath_intact "$tmp/classpath.txt" || die "Maven produced an unusable classpath (see $log)"
  add_slf4j_nop "$tmp/classpath.txt" "$log"

  if build_cds_archive "$tmp" "$log"; then
    write_wrapper "$tmp/temporal-test-server" 1
  else
    rm -f "$tmp/app-cds.jsa"
    write_wrapper "$tmp/temporal-test-server" 0
  fi
  # Smoke test: the wrapper (with its final flags) must start the server.
  local port pid i ok=0
  port=$(free_port)
  "$tmp/temporal-test-server" "$port" >>"$log" 2>&1 </dev/null &
  pid=$!
  server_pid=$pid
  for ((i = 0; i < 600; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ok=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  server_pid=''
  ((ok)) || {
    show_log_tail "$log"
    die "the Temporal test server did not start (see $log)"
  }

  # Rename into place: a reader sees either no directory or a complete one.
  chmod 755 "$tmp"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

case $only in
  all)
    ensure_cli
    ensure_test_server
    ;;
  cli) ensure_cli ;;
  test-server) ensure_test_server ;;
esac

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
if ((print_env)); then
  [[ -n ${TEMPORAL_CLI:-} ]] && echo "export TEMPORAL_CLI_PATH=$(shell_quote "$TEMPORAL_CLI")"
  [[ -n ${TEMPORAL_TEST_SERVER:-} ]] && echo "export TEMPORAL_TEST_SERVER_PATH=$(shell_quote "$TEMPORAL_TEST_SERVER")"
else
  [[ -n ${TEMPORAL_CLI:-} ]] && echo "TEMPORAL_CLI=$TEMPORAL_CLI"
  [[ -n ${TEMPORAL_TEST_SERVER:-} ]] && echo "TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER"
fi
exit 0
