// Runs the real Temporal dev server (`temporal server start-dev` from the pinned Temporal CLI) with the
// release search attributes registered, the same dynamic config as the SDK's test environment, and
// (optionally) SQLite persistence and the Web UI. Its logs go to a file, never to our stdout.
//
// The tests use the SDK's TestWorkflowEnvironment.createLocal (test/helpers/temporal-env.ts), which
// does most of this. The `dev-server` command and the demo do not, because @temporalio/testing is a
// test dependency, its 5 s start limit is not configurable (a cold start on a loaded machine takes
// longer), its server logs go to pipes rather than a file a person can read, and its teardown
// SIGKILLs the server where a SQLite state wants a SIGTERM.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { releaseSearchAttributes } from '../shared/search-attributes';
import { cacheRoot, temporalCliPath } from './locate';

export interface DevServerOptions {
  /** Frontend gRPC port. Default 7233; 0 picks a free port. */
  port?: number;
  /** Web UI port. Default: port + 1000 (8233 for 7233), or a free port when `port` is 0. */
  uiPort?: number;
  /** SQLite file for state that survives restarts. Default: in memory (lost on stop). */
  dbFilename?: string;
  /** No Web UI. */
  headless?: boolean;
  /** Namespace to serve (the dev server always creates "default" too). Default "default". */
  namespace?: string;
  /** Server log file. Default: <cache>/logs/dev-server-<port>.log (truncated on start). */
  logFile?: string;
  /** Server log level. Default "warn". */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for the frontend to answer. Default 30 s (the SDK's own limit is 5 s). */
  startTimeoutMs?: number;
  /** Appended to the `temporal server start-dev` arguments. */
  extraArgs?: string[];
}

export interface DevServer {
  /** gRPC address for Connection/NativeConnection, e.g. "127.0.0.1:7233". */
  address: string;
  namespace: string;
  /** Web UI, e.g. "http://127.0.0.1:8233"; undefined when headless. */
  uiUrl: string | undefined;
  logFile: string;
  pid: number;
  /** SIGTERM, then SIGKILL if the server has not exited after `graceMs` (default 5 s). */
  stop(graceMs?: number): Promise<void>;
}

const HOST = '127.0.0.1';

/** A search attribute key of any type (the SDK does not export the SearchAttributeKey type). */
type AnySearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;

/** The dynamic config the SDK passes to the dev server it starts (sdk-core ephemeral_server). */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'frontend.enableServerVersionCheck=false',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
];

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function searchAttributeArgs(keys: readonly AnySearchAttributeKey[]): string[] {
  return keys.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `release-promote: port ${port} (${what}) is already in use: is another Temporal server running? Stop it or choose another port.`
            : `release-promote: cannot use port ${port} (${what}): ${err.message}`,
        ),
      ),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

/** Whether something accepts TCP connections on HOST:port (cheap; no gRPC channel back-off). */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const port = options.port === 0 ? await freePort() : (options.port ?? 7233);
  const headless = options.headless ?? false;
  const uiPort = headless ? undefined : (options.uiPort ?? (options.port === 0 ? await freePort() : port + 1000));
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;

  await assertPortFree(port, 'Temporal gRPC');
  if (uiPort !== undefined) await assertPortFree(uiPort, 'Temporal Web UI');

  const cli = await temporalCliPath();
  const logFile = path.resolve(options.logFile ?? path.join(cacheRoot(), 'logs', `dev-server-${port}.log`));
  mkdirSync(path.dirname(logFile), { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-format',
    'text',
    '--log-level',
    options.logLevel ?? 'warn',
    '--color',
    'never',
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
    ...searchAttributeArgs(releaseSearchAttributes),
  ];
  if (options.dbFilename) {
    const db = path.resolve(options.dbFilename);
    mkdirSync(path.dirname(db), { recursive: true });
    args.push('--db-filename', db);
  }
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  args.push(...(options.extraArgs ?? []));

  const logFd = openSync(logFile, 'w');
  let child;
  try {
    child = spawn(cli, args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  // Never outlive this process, even when stop() is not called.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (graceMs = 5_000): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, graceMs);
    await exitPromise;
    clearTimeout(timer);
  };

  const address = `${HOST}:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  let lastError: unknown;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(
        `release-promote: the Temporal dev server exited during start-up (log: ${logFile})` +
          (logTail(logFile) ? `:\n${logTail(logFile)}` : ''),
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await stop();
      const why = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        `release-promote: the Temporal dev server did not answer on ${address} within ${startTimeoutMs / 1000}s (last error: ${why}; log: ${logFile})`,
      );
    }
    // Poll the port first: a gRPC channel that found it closed waits ~1 s before its next attempt.
    if (!(await acceptsConnections(port))) {
      lastError = new Error(`nothing listening on ${address} yet`);
      await delay(50);
      continue;
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: Math.min(2_000, remaining) });
      // Ready means the namespace exists too, not only that the port is open.
      await connection.workflowService.describeNamespace({ namespace });
      break;
    } catch (err) {
      lastError = err;
      await delay(200);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    logFile,
    pid: child.pid ?? -1,
    stop,
  };
}
