// `release-promote migrate`: brings the postgres records store's schema to the version this build
// needs (workers refuse to write until it is), shows where it stands, or prints the SQL for a DBA.
// Declared here; the action loads node-postgres when it runs (src/client/lazy.ts).
import type { Command } from 'commander';
import { LATEST_SCHEMA_VERSION } from '../../records/postgres/migrations';
import type { CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as Migrate from '../actions/migrate';

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description(
      `bring the postgres records store's schema to version ${LATEST_SCHEMA_VERSION} (run before starting upgraded workers; safe to run twice or from two places at once)`,
    )
    .option('--status', 'only say which version the database is at')
    .option('--print', 'print the schema as one SQL script (for review, or for a DBA to apply with psql) and exit')
    .action(async (o: { status?: boolean; print?: boolean }) => {
      await lazy<typeof Migrate>(require, '../actions/migrate').runMigrate(ctx, o);
    });
}
