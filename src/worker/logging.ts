// Structured logs for the worker: one JSON object per line on stdout, for the SDK's own messages,
// the workflow and activity context loggers and (forwarded) the Rust core's messages alike. Every
// line has time, level and msg; the Temporal attributes the SDK attaches (workflowId, runId,
// activityType, taskQueue, namespace, ...) stay top-level fields, and a release's version is added
// when it is known: from the activity's arguments (see releaseLogAttributesPlugin) or else from
// a release's workflow ID (release-<version>, hotfix-<version>).
//
//   {"time":"2026-11-24T11:52:03.120Z","level":"info","msg":"Activity completed","sdkComponent":"activity",
//    "workflowId":"release-v1.2.3","version":"v1.2.3","activityType":"deployStable","durationMs":812,...}
//
// Level: RELEASE_PROMOTE_LOG_LEVEL (TRACE, DEBUG, INFO, WARN or ERROR; default INFO).
import {
  DefaultLogger,
  type LogEntry,
  type Logger,
  type NativeConnectionPlugin,
  type WorkerOptions,
  type WorkerPlugin,
} from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import { parseReleaseWorkflowId } from '../shared/identifiers';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logLevelFromEnv(value = process.env.RELEASE_PROMOTE_LOG_LEVEL): LogLevel {
  const level = (value ?? 'INFO').toUpperCase();
  if ((LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`RELEASE_PROMOTE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${value}"`);
}

/** The release version a workflow ID names, or null (ledger, rollback and other workflows). */
export function versionFromWorkflowId(workflowId: unknown): string | null {
  if (typeof workflowId !== 'string') return null;
  return parseReleaseWorkflowId(workflowId)?.version ?? null;
}

/** A JSON-safe copy of a log attribute: errors keep name, message and stack; bigints become strings. */
function plain(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined && depth < 3) out.cause = plain(value.cause, depth + 1);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 5) return '[nested]';
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, depth + 1)]));
}

/** One log line (without the newline). */
export function formatLogLine(entry: LogEntry): string {
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.meta ?? {})) meta[key] = plain(value);
  const version = typeof meta.version === 'string' ? meta.version : versionFromWorkflowId(meta.workflowId);
  const millis = Number(entry.timestampNanos / 1_000_000n);
  const line: Record<string, unknown> = {
    time: new Date(millis).toISOString(),
    level: entry.level.toLowerCase(),
    msg: entry.message,
    ...meta,
  };
  if (version !== null) line.version = version;
  try {
    return JSON.stringify(line);
  } catch (err) {
    // A circular attribute: still one valid JSON line, saying what was lost.
    return JSON.stringify({
      time: line.time,
      level: line.level,
      msg: entry.message,
      logError: `attributes not serialisable: ${(err as Error).message}`,
    });
  }
}

/** The Runtime logger: JSON lines to `write` (default stdout), at `level` and above. */
export function createJsonLogger(
  level: LogLevel = logLevelFromEnv(),
  write: (line: string) => void = (line) => void process.stdout.write(line),
): Logger {
  return new DefaultLogger(level, (entry) => write(`${formatLogLine(entry)}\n`));
}

/** The release version among an activity's arguments (most take { version } or an audit entry). */
export function versionFromActivityArgs(args: readonly unknown[]): string | null {
  const first = args[0];
  if (first === null || typeof first !== 'object') return null;
  const record = first as Record<string, unknown>;
  if (typeof record.version === 'string') return record.version;
  const nested = record.record;
  if (nested === null || typeof nested !== 'object') return null;
  const version = (nested as Record<string, unknown>).version;
  return typeof version === 'string' ? version : null;
}

/**
 * A plugin (for NativeConnection.connect({ plugins }) — the worker inherits the connection's
 * plugins) that adds `version` to every activity's log attributes: the SDK's "Activity started /
 * completed / failed" lines and whatever an activity logs through its context logger.
 */
export function releaseLogAttributesPlugin(): WorkerPlugin & NativeConnectionPlugin {
  return {
    name: 'release-promote.log-attributes',
    configureWorker(options: WorkerOptions): WorkerOptions {
      const activity = options.interceptors?.activity ?? [];
      return {
        ...options,
        interceptors: {
          ...options.interceptors,
          activity: [
            ...activity,
            (ctx) => {
              // The arguments arrive with the inbound call; getLogAttributes runs for each log line after it.
              let version: string | null = versionFromWorkflowId(ctx.info.workflowExecution?.workflowId);
              return {
                inbound: {
                  execute: (input, next) => {
                    version = versionFromActivityArgs(input.args) ?? version;
                    return next(input);
                  },
                },
                outbound: {
                  getLogAttributes: (input, next) => next(version === null ? input : { ...input, version }),
                },
              };
            },
          ],
        },
      };
    },
  };
}
