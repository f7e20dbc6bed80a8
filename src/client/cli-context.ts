// What every command gets: the config, a Temporal client (connected on first use), output, and the
// small input helpers. Its own module, so the command modules and cli.ts do not import each other.
// The config, the client and the records store are each loaded on first use: a command pays only
// for what it touches (the YAML parser and schema, the Temporal client, node-postgres).
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import type * as ConfigLoad from '../config/load';
import type { Config } from '../config/schema';
import type * as OpenStore from '../records/open-store';
import type { RecordsStore } from '../records/store';
import type * as Connection from '../workflow-api/connection';
import { InvalidInputError } from './errors';
import { lazy } from './lazy';

export interface Globals {
  config?: string;
}

export interface CliContext {
  config(): Config;
  /** The config file in use (--config, $RELEASE_PROMOTE_CONFIG or ./release-promote.yaml), or null for the built-in defaults. */
  configFile(): string | null;
  client(): Promise<{ client: Client; namespace: string }>;
  /** The config's records store (files or postgres), opened on first use. */
  records(): RecordsStore;
  close(): Promise<void>;
  out(line: string): void;
  /** A line for stderr (notes, warnings). */
  err(line: string): void;
  /** The exit code the command ends with, when it is not 0 (a failed verification, a release not promoted). */
  exitCode: number;
  /**
   * The process must exit when the command ends even if native handles remain: a worker that failed to
   * start leaves the SDK's runtime (its log forwarding) holding the event loop open.
   */
  exitProcessWhenDone?: boolean;
}

/** Where the CLI writes: the process's streams, or a test's buffers (the CLI run in-process). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const PROCESS_IO: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** The context of one CLI run; `globals` reads the options given before the command (--config). */
export function createCliContext(globals: () => Globals, io: CliIo): CliContext {
  const configLoad = () => lazy<typeof ConfigLoad>(require, '../config/load');
  let connected: { client: Client; namespace: string; close: () => Promise<void> } | null = null;
  let config: Config | null = null;
  let records: RecordsStore | null = null;
  const ctx: CliContext = {
    config: () => (config ??= configLoad().loadConfig(globals().config)),
    configFile: () => configLoad().configPath(globals().config),
    client: async () => {
      if (!connected) {
        const { connectClient } = lazy<typeof Connection>(require, '../workflow-api/connection');
        const { client, connection, namespace } = await connectClient();
        connected = { client, namespace, close: () => connection.close() };
      }
      return connected;
    },
    records: () =>
      (records ??= lazy<typeof OpenStore>(require, '../records/open-store').openRecordsStore(ctx.config().records)),
    close: async () => {
      await connected?.close();
      await records?.close();
    },
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
    exitCode: 0,
  };
  return ctx;
}

export function defaultIdentity(): string {
  return process.env.RELEASE_PROMOTE_USER ?? `@${userInfo().username}`;
}

export function requireValid(...problems: Array<string | null>): void {
  const problem = problems.find((p) => p !== null);
  if (problem) throw new InvalidInputError(problem);
}
