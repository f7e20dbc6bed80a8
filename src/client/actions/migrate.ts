// `release-promote migrate`: the postgres records store's schema. Loaded when the command runs
// (src/client/lazy.ts), with node-postgres.
import { openPostgresStore } from '../../records/open-store';
import { migrate, migrationScript, schemaVersion } from '../../records/postgres/migrate';
import { LATEST_SCHEMA_VERSION } from '../../records/postgres/migrations';
import { RecordsStoreUnavailable } from '../../records/store';
import { isUnreachable } from '../../records/postgres/connection';
import type { CliContext } from '../cli-context';

export async function runMigrate(ctx: CliContext, o: { status?: boolean; print?: boolean }): Promise<void> {
  if (o.print) {
    ctx.out(migrationScript());
    return;
  }
  const config = ctx.config();
  if (config.records.store !== 'postgres') {
    ctx.out('records.store is files: there is no schema to migrate');
    return;
  }
  const store = openPostgresStore(config.records);
  try {
    if (o.status) {
      const client = await store.pool.connect();
      try {
        const at = await schemaVersion(client);
        ctx.out(
          `${store.description}: schema version ${at} of ${LATEST_SCHEMA_VERSION}${at < LATEST_SCHEMA_VERSION ? ' — run release-promote migrate' : ' (current)'}`,
        );
        if (at < LATEST_SCHEMA_VERSION) ctx.exitCode = 1;
      } finally {
        client.release();
      }
      return;
    }
    const result = await migrate(store.pool);
    ctx.out(
      result.applied.length === 0
        ? `${store.description}: schema already at version ${result.from} (current)`
        : `${store.description}: schema ${result.from} → ${result.to}: applied ${result.applied.map((m) => `${m.version} (${m.name})`).join(', ')}`,
    );
  } catch (err) {
    if (isUnreachable(err))
      throw new RecordsStoreUnavailable(`cannot reach ${store.description}: ${(err as Error).message.split('\n')[0]}`);
    throw err;
  } finally {
    await store.close();
  }
}
