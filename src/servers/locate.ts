// Where the two real Temporal servers live: the Temporal CLI (`temporal server start-dev`) and the
// Java time-skipping test server. Both are pinned and cached outside the repository by
// scripts/servers/ensure-servers.sh; this module finds them, and runs that script (once per process
// and server) when they are missing.
//
// Overrides: TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH (existing executables, used as they are).
// Cache root: RELEASE_PROMOTE_CACHE, else $XDG_CACHE_HOME/release-promote, else ~/.cache/release-promote.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// Keep in sync with scripts/servers/ensure-servers.sh.
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

/** The user cache directory holding the pinned servers (same rule as ensure-servers.sh). */
export function cacheRoot(): string {
  const explicit = process.env.RELEASE_PROMOTE_CACHE;
  if (explicit) return path.resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(homedir(), '.cache'), 'release-promote');
}

interface ServerKind {
  only: 'cli' | 'test-server';
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';
  what: string;
  cachedPath(): string;
  /** Extra check that a cached install is still usable. */
  intact?(file: string): boolean;
}

const CLI: ServerKind = {
  only: 'cli',
  envVar: 'TEMPORAL_CLI_PATH',
  what: `Temporal CLI ${TEMPORAL_CLI_VERSION} (dev server)`,
  cachedPath: () => path.join(cacheRoot(), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal'),
};

const TEST_SERVER: ServerKind = {
  only: 'test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  what: `Temporal Java test server ${TEMPORAL_TEST_SERVER_VERSION}`,
  cachedPath: () =>
    path.join(cacheRoot(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`, 'temporal-test-server'),
  // The wrapper runs java on jars in ~/.m2: a wiped Maven repository means set up again.
  intact: (file) => {
    try {
      const classpath = readFileSync(path.join(path.dirname(file), 'classpath.txt'), 'utf8').trim();
      return classpath !== '' && classpath.split(path.delimiter).every((entry) => existsSync(entry));
    } catch {
      return false;
    }
  },
};

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** scripts/servers/ensure-servers.sh of this checkout (works from src/ under tsx and from dist/). */
export function ensureServersScript(): string {
  const start = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'scripts', 'servers', 'ensure-servers.sh');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(
    `release-promote: cannot find scripts/servers/ensure-servers.sh above ${start}; ` +
      'set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH to existing server executables instead.',
  );
}

function runEnsureServers(kind: ServerKind): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(
        new Error(
          `release-promote: could not set up the ${kind.what}: ${why}. ` +
            `Fix that and run 'npm run setup:servers', or set ${kind.envVar} to an existing executable.`,
        ),
      );
    let script: string;
    try {
      script = ensureServersScript();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // stdout only repeats the paths we compute ourselves; progress and errors go to stderr.
    const child = spawn('bash', [script, '--only', kind.only], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', (err) => fail(`cannot run bash ${script} (${err.message})`));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        fail(
          `${path.basename(script)} ${signal ? `was killed by ${signal}` : `exited with ${code} (see its message above)`}`,
        );
    });
  });
}

const pending = new Map<ServerKind, Promise<string>>();

async function locate(kind: ServerKind): Promise<string> {
  const override = process.env[kind.envVar];
  if (override) {
    if (isExecutableFile(override)) return path.resolve(override);
    throw new Error(
      `release-promote: ${kind.envVar}=${override} is not an executable file (fix it, or unset it to use the pinned ${kind.what}).`,
    );
  }
  const cached = kind.cachedPath();
  const usable = () => isExecutableFile(cached) && (kind.intact?.(cached) ?? true);
  if (usable()) return cached;

  let promise = pending.get(kind);
  if (!promise) {
    promise = runEnsureServers(kind).then(() => {
      if (!usable()) {
        throw new Error(
          `release-promote: ensure-servers.sh succeeded but ${cached} is missing or unusable; ` +
            `delete ${path.dirname(cached)} and run 'npm run setup:servers', or set ${kind.envVar}.`,
        );
      }
      return cached;
    });
    pending.set(kind, promise);
    // A failure is not cached: a later call may retry after the problem was fixed.
    promise.catch(() => pending.delete(kind));
  }
  return promise;
}

/** Path of the `temporal` CLI binary (runs `temporal server start-dev`); builds it on first use. */
export function temporalCliPath(): Promise<string> {
  return locate(CLI);
}

/** Path of the Java time-skipping test server executable (`<port>` argument); sets it up on first use. */
export function testServerPath(): Promise<string> {
  return locate(TEST_SERVER);
}
