// The benchmark's child processes: workers (long-running, output to a log file) and timed commands.
// Every long-running child is stopped when the benchmark ends, on success, failure or Ctrl-C.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface Child {
  name: string;
  pid: number;
  logFile: string;
  /** The exit code (or signal name) once it has exited; null while it runs. */
  exit(): string | null;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, to explain a failure. */
  logTail(lines?: number): string;
}

const running = new Set<Child>();

/** Starts a long-running command with stdout and stderr in `logFile` (a file never applies back-pressure). */
export function spawnLogged(
  name: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string },
): Child {
  const fd = openSync(options.logFile, 'w');
  let proc;
  try {
    proc = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      exit = signal ?? String(code);
      resolve();
    });
    proc.once('error', (err) => {
      exit = `failed to start: ${err.message}`;
      resolve();
    });
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const child: Child = {
    name,
    pid: proc.pid,
    logFile: options.logFile,
    exit: () => exit,
    async stop(graceMs = 5_000) {
      running.delete(child);
      if (exit !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    logTail(lines = 20) {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

/** Stops every child still running (in parallel: each may take its grace time). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

// A benchmark killed without a chance to clean up must not leave workers polling behind it.
process.once('exit', () => {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export interface TimedRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and measures its wall time, from spawn to exit, as a person would wait for it. */
export function timedRun(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The wall time ends at the process's exit; 'close' (pipes drained) may come a little later.
    let ms: number | undefined;
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    proc.once('error', reject);
    proc.once('exit', () => (ms = elapsed()));
    proc.once('close', (code) => resolve({ ms: ms ?? elapsed(), code, stdout, stderr }));
  });
}

/** This process's environment without what would change how a child connects or traces. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A TEMPORAL_PROFILE, API key or TLS setting of the person running the benchmark is not for the dev server.
    if (key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI_PATH') continue;
    // Tracing bundles the workflows differently and exports spans: not what is measured.
    if (key.startsWith('OTEL_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** A TCP port free on 127.0.0.1 right now (for a child's health and metrics endpoints). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!, i);
  });
  await Promise.all(lanes);
  return results;
}
