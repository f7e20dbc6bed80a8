// The connection pool of the postgres store (node-postgres): TLS, the password from a file or an
// environment variable (never from the config or the URL), bounded connect and statement times so an
// unreachable database fails an activity in seconds and its retry policy takes over.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { RecordsStoreUnavailable } from '../store';

export interface PostgresSettings {
  /** postgres://user@host:5432/database (no password). */
  url: string;
  /** A file holding the password alone (a mounted Secret); read at each new connection, so a rotated one is picked up. */
  passwordFile?: string | undefined;
  /** An environment variable holding the password. */
  passwordEnv?: string | undefined;
  tls: { mode: 'disable' | 'require' | 'verify-full'; caFile?: string | undefined };
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `postgres ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

export function createPool(settings: PostgresSettings, onIdleError: (err: Error) => void): pg.Pool {
  // Host, port, user and database from the URL; not as connectionString, whose parse would replace
  // the password callback with the URL's (absent) password.
  const url = new URL(settings.url);
  const pool = new pg.Pool({
    host: decodeURIComponent(url.hostname),
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
    password: () => Promise.resolve(password(settings)),
    ssl: tlsOptions(settings.tls),
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
    application_name: 'release-promote',
    // The CLI exits when its work is done, not when idle connections time out.
    allowExitOnIdle: true,
  });
  // A connection that dies while idle (the database restarted) emits here; unhandled, it would end the worker.
  pool.on('error', onIdleError);
  return pool;
}

function password(settings: PostgresSettings): string {
  if (settings.passwordFile) {
    try {
      return readFileSync(settings.passwordFile, 'utf8').trim();
    } catch (err) {
      throw new RecordsStoreUnavailable(
        `cannot read the records database password from records.postgres.passwordFile ${settings.passwordFile}: ${(err as Error).message}`,
      );
    }
  }
  if (settings.passwordEnv) {
    const value = process.env[settings.passwordEnv];
    if (value === undefined)
      throw new RecordsStoreUnavailable(
        `records.postgres.passwordEnv names ${settings.passwordEnv}, which is not set: export the database password there`,
      );
    return value;
  }
  return process.env.PGPASSWORD ?? '';
}

function tlsOptions(tls: PostgresSettings['tls']): pg.PoolConfig['ssl'] {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(tls.caFile ? { ca: readFileSync(tls.caFile, 'utf8') } : {}) };
}

/** Errors that mean "the database cannot be reached now": retried, reported as the store being down. */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN'].includes(code) ||
    code.startsWith('08') || // connection exceptions
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, recovering)
    /Connection terminated|timeout exceeded when trying to connect|Connection ended|the database system is/i.test(
      e.message ?? '',
    )
  );
}
