// What every command gets: the config, a Temporal client (connected on first use), output, and the
// small input helpers. Its own module, so the command modules and cli.ts do not import each other.
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import type { RecordsStore } from '../records/store';
import { InvalidInputError } from './errors';

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

export function defaultIdentity(): string {
  return process.env.RELEASE_PROMOTE_USER ?? `@${userInfo().username}`;
}

export function requireValid(...problems: Array<string | null>): void {
  const problem = problems.find((p) => p !== null);
  if (problem) throw new InvalidInputError(problem);
}
