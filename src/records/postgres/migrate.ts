// Applies the store's migrations (src/records/postgres/migrations.ts): under a session advisory lock,
// so two `migrate` runs (two workers' init containers) take turns; each migration in its own
// transaction together with its schema_migrations row, so a failure leaves the schema at the last
// complete version. An applied migration whose SQL changed since is refused, not re-run.
import type pg from 'pg';
import { MIGRATIONS, LATEST_SCHEMA_VERSION, migrationChecksum, type Migration } from './migrations';

const MIGRATION_LOCK = 'release-promote:migrate';

const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * The whole schema as one script a DBA can review and apply with psql instead of `migrate`: each
 * migration in its transaction with its schema_migrations row, so workers accept the result.
 */
export function migrationScript(): string {
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return [
    `-- release-promote records schema, migrations 1..${LATEST_SCHEMA_VERSION}: apply in order (psql -v ON_ERROR_STOP=1 -f).`,
    '-- Skip the blocks of migrations already listed in schema_migrations.',
    `${SCHEMA_MIGRATIONS_TABLE};`,
    ...MIGRATIONS.map((m) =>
      [
        '',
        `-- migration ${m.version}: ${m.name}`,
        'BEGIN;',
        m.sql,
        `INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${quote(m.name)}, ${quote(migrationChecksum(m))});`,
        'COMMIT;',
      ].join('\n'),
    ),
    '',
  ].join('\n');
}

/** The schema version of a database: 0 when nothing was ever applied. */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: Migration[];
}

/** Brings the schema to `target` (default: the latest this code knows). */
export async function migrate(pool: pg.Pool, target = LATEST_SCHEMA_VERSION): Promise<MigrationResult> {
  const client = await pool.connect();
  const onError = () => undefined; // the failing query reports it; unheard, the event would end the process
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    await client.query(SCHEMA_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    for (const row of rows) {
      const known = MIGRATIONS.find((m) => m.version === row.version);
      if (known && migrationChecksum(known) !== row.checksum)
        throw new Error(
          `migration ${row.version} (${known.name}) was applied with different SQL than this release-promote has: the schema was changed by hand or by another build; compare with \`release-promote migrate --print\``,
        );
    }
    const from = rows.at(-1)?.version ?? 0;
    const applied: Migration[] = [];
    for (const m of MIGRATIONS.filter((m) => m.version > from && m.version <= target)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          migrationChecksum(m),
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed and was rolled back: ${(err as Error).message}`);
      }
      applied.push(m);
    }
    return { from, to: applied.at(-1)?.version ?? from, applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [MIGRATION_LOCK]).catch(() => undefined);
    client.off('error', onError);
    client.release();
  }
}
