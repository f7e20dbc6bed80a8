// `release-promote history`: promotions and rollbacks with who and when, and production's DORA
// figures, from the records store (so it outlives Temporal's retention of the workflows).
// Declared here; the action loads its modules when it runs (src/client/lazy.ts).
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as History from '../actions/history';

export function registerHistoryCommand(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description("promotions and rollbacks (who, when, why) and production's DORA figures, from the records store")
    .option('--environment <name>', 'only this environment (a name from the config, like production)')
    .option('--since <when>', 'from this long ago (30d, 12h) or this date (2026-11-01)', '30d')
    .option(
      '--git <dir>',
      'a git checkout holding the released commits: their commit times give the lead time (default: the current directory, when it is one)',
      '.',
    )
    .option('--json', 'machine-readable output: { window, events, dora }')
    .addHelpText(
      'after',
      '\nDORA figures (production): deployment frequency, lead time from commit to production (commits found in --git),\nrequest to production, change failure rate (rolled back / reached canary or production) and time to restore.',
    )
    .action(async (o: { environment?: string; since: string; git: string; json?: boolean }) => {
      await lazy<typeof History>(require, '../actions/history').showHistory(ctx, o);
    });
}
