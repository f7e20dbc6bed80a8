// `release-promote history`: promotions and rollbacks with who and when, and production's DORA
// figures, from the records store. Loaded when the command runs (src/client/lazy.ts).
import { execFileSync } from 'node:child_process';
import { parseDuration } from '../../config/duration';
import { seedStageOfEnvironment } from '../../shared/audit';
import { doraFigures, filterEvents, historyEvents, type HistoryEvent } from '../../shared/release-history';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';

export async function showHistory(
  ctx: CliContext,
  o: { environment?: string; since: string; git: string; json?: boolean },
): Promise<void> {
  const config = ctx.config();
  const until = new Date();
  const since = sinceOf(o.since, until);
  let environment: string | undefined;
  if (o.environment !== undefined) {
    if (!(o.environment in config.environments))
      throw new InvalidInputError(
        `unknown environment "${o.environment}" (known: ${Object.keys(config.environments).join(', ')})`,
      );
    environment = seedStageOfEnvironment(
      o.environment,
      config.stages.staging.environment,
      config.stages.canary.environment,
    );
  }
  const entries = await ctx.records().allAuditEntries();
  const events = filterEvents(historyEvents(entries), { environment, since: since.toISOString() });
  const commits = commitTimes(
    o.git,
    entries.map((e) => e.commit_sha),
  );
  const dora = doraFigures(entries, { since: since.toISOString(), until: until.toISOString() }, commits);
  if (o.json) {
    ctx.out(
      JSON.stringify(
        {
          window: { since: since.toISOString(), until: until.toISOString() },
          environment: o.environment ?? null,
          events,
          dora,
        },
        null,
        2,
      ),
    );
    return;
  }
  ctx.out(`${events.length} promotions and rollbacks since ${since.toISOString()} (${ctx.records().description})`);
  for (const e of events) ctx.out(renderEvent(e));
  ctx.out('');
  ctx.out('DORA (production):');
  for (const line of dora.explanation) ctx.out(`  ${line}`);
}

function sinceOf(text: string, now: Date): Date {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms);
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime()))
    throw new InvalidInputError(`--since ${text} is neither a duration (30d, 12h) nor a date (2026-11-01)`);
  return date;
}

function renderEvent(e: HistoryEvent): string {
  const what =
    e.kind === 'manual_rollback' || e.kind === 'rolled_back'
      ? `${e.kind.replace('_', ' ')} ${e.version}${e.toVersion ? ` → ${e.toVersion}` : ''}`
      : `${e.kind.replace('_', ' ')} ${e.version}`;
  return `${e.at}  ${e.environment.padEnd(10)} ${what.padEnd(32)} by ${e.by ?? '-'}  ${e.reason}`;
}

/** Commit times from a git checkout, for the lead time; none when it is not one or lacks the commits. */
function commitTimes(dir: string, shas: Array<string | null>): Map<string, string> {
  const times = new Map<string, string>();
  for (const sha of new Set(shas)) {
    if (!sha || !/^[0-9a-f]{7,40}$/i.test(sha)) continue;
    try {
      const out = execFileSync('git', ['-C', dir, 'show', '-s', '--format=%cI', `${sha}^{commit}`], {
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5_000,
      })
        .toString()
        .trim();
      if (out) times.set(sha, out);
    } catch {
      // Not a checkout, or not this commit: its lead time is unknown.
    }
  }
  return times;
}
