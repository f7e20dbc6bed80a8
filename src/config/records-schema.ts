// The `records` section: which records store the workers write to and the CLI reads from.
import { z } from 'zod';
import { strictObject } from './strict';
import { durationMs } from './duration';

const postgresUrl = z.string().superRefine((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a URL like postgres://release_promote@db.internal:5432/release_promote',
    });
    return;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    ctx.addIssue({ code: 'custom', message: `must start with postgres://, not ${url.protocol}//` });
  if (url.password)
    ctx.addIssue({
      code: 'custom',
      message:
        'must not hold the password (config files are read by many): set records.postgres.passwordFile or passwordEnv',
    });
  if (!url.username) ctx.addIssue({ code: 'custom', message: 'must name the database user: postgres://user@host/db' });
  if (url.pathname.length <= 1)
    ctx.addIssue({ code: 'custom', message: 'must name the database: postgres://user@host/db' });
  if (url.search)
    ctx.addIssue({ code: 'custom', message: 'must not carry parameters (sslmode…): use records.postgres.tls instead' });
});

export const postgresSchema = strictObject({
  /** postgres://user@host:5432/database, without a password. */
  url: postgresUrl,
  /** A file holding the password alone (a mounted Secret). */
  passwordFile: z.string().min(1).optional(),
  /** An environment variable holding the password (when there is no passwordFile). Default: PGPASSWORD. */
  passwordEnv: z.string().min(1).optional(),
  tls: strictObject({
    /** verify-full checks the server's certificate and name; require encrypts without checking; disable only for a local database. */
    mode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
    /** The CA that signed the server's certificate (PEM), when it is not a public one. */
    caFile: z.string().min(1).optional(),
  }).prefault({}),
  /** Connections per worker process. */
  poolSize: z.number().int().min(1).max(100).default(10),
  /** Longest a new connection may take before the write fails and its activity retries. */
  connectTimeout: durationMs.prefault('5s'),
  /** Longest a single statement may run before the write fails and its activity retries. */
  statementTimeout: durationMs.prefault('15s'),
});

export const recordsSchema = strictObject({
  /** files: this machine's disk (the default: demo, one machine). postgres: an installation's shared store. */
  store: z.enum(['files', 'postgres']).default('files'),
  /** The files store's audit trail; also where `audit export` writes. */
  auditDir: z.string().default('operational_audit/releases'),
  /** The files store's evidence; also where `collect-evidence` writes the seed's three files. */
  evidenceDir: z.string().default('TEST/release'),
  /** The files store's export of the version records (source of truth), one JSON file per environment. */
  sotDir: z.string().default('operational_audit/sot'),
  postgres: postgresSchema.optional(),
})
  .prefault({})
  .superRefine((records, ctx) => {
    if (records.store === 'postgres' && !records.postgres)
      ctx.addIssue({
        code: 'custom',
        path: ['postgres'],
        message: 'records.store is postgres: add records.postgres.url (postgres://user@host:5432/database)',
      });
    if (records.store === 'files' && records.postgres)
      ctx.addIssue({
        code: 'custom',
        path: ['store'],
        message:
          'records.postgres is set but records.store is files: set store: postgres, or remove the postgres section',
      });
  });

export type RecordsConfig = z.output<typeof recordsSchema>;
