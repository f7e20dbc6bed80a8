// The CLI and the worker as installed: `node bin/release-promote.mjs …` running the compiled dist/,
// with the modules each process loaded recorded (test/helpers/loaded-modules.mjs), so a test can say
// what a command loads and that it ran dist/ and not the sources through tsx.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { runProcess, type Run } from './processes';

export const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'release-promote.mjs');
const PRELOAD = join(__dirname, 'loaded-modules.mjs');

/**
 * Builds dist/ when it is missing or older than the sources (the suite's setup has built it, so
 * this costs nothing there; a test file run on its own gets a current build too).
 */
export function ensureDistBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The packages that would make `status` slow to start, which it has no use for. */
export const HEAVY_PACKAGES = [
  '@temporalio/worker',
  '@temporalio/interceptors-opentelemetry',
  '@kubernetes/client-node',
  '@opentelemetry/*',
  'pg',
  'prom-client',
  'axios',
  'webpack',
];

export interface LoadedModules {
  files: string[];
  /** Names of the node_modules packages among them, like @temporalio/client. */
  packages: Set<string>;
}

function loadedModules(file: string): LoadedModules {
  const files = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const packages = new Set<string>();
  for (const f of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) packages.add(m[1]!);
  }
  return { files, packages };
}

/** The packages of `loaded` that match `names` (a trailing `/*` names a scope). */
export function loadedOf(loaded: LoadedModules, names: readonly string[]): string[] {
  return [...loaded.packages].filter((p) =>
    names.some((n) => (n.endsWith('/*') ? p.startsWith(n.slice(0, -1)) : p === n)),
  );
}

/** The process ran the compiled code: dist/'s entry, nothing from src/, no tsx. */
export function assertRanDist(loaded: LoadedModules, entry = join('dist', 'client', 'cli.js')): void {
  assert.ok(loaded.files.includes(join(ROOT, entry)), `${entry} was not loaded`);
  const sources = loaded.files.filter((f) => f.startsWith(join(ROOT, 'src') + sep));
  assert.deepEqual(sources, [], 'no TypeScript source was loaded');
  assert.ok(!loaded.packages.has('tsx'), 'tsx was not loaded');
}

function recorder(): { env: NodeJS.ProcessEnv; read: () => LoadedModules; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-loaded-'));
  const file = join(dir, 'modules.txt');
  return {
    env: { LOADED_MODULES_FILE: file },
    read: () => loadedModules(file),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function binArgs(args: string[]): string[] {
  return ['--import', PRELOAD, BIN, ...args];
}

/** Runs one CLI command to its end; its output, exit code and the modules it loaded. */
export async function runBin(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Run & { loaded: LoadedModules }> {
  const record = recorder();
  try {
    const run = await runProcess(process.execPath, binArgs(args), {
      cwd: options.cwd,
      env: { ...options.env, ...record.env },
    });
    return { ...run, loaded: record.read() };
  } finally {
    record.cleanup();
  }
}

/** A long-running command (the worker); `stop()` sends SIGTERM and gives its exit code and modules. */
export function startBin(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  stop: () => Promise<{ code: number | null; loaded: LoadedModules }>;
} {
  const record = recorder();
  const child = spawn(process.execPath, binArgs(args), {
    cwd: options.cwd,
    env: { ...options.env, ...record.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      try {
        return { code, loaded: record.read() };
      } finally {
        record.cleanup();
      }
    },
  };
}
