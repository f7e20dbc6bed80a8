// What was promoted and rolled back, by whom and when, and the DORA figures, read from the audit trail
// alone: entries in (any order, any source), events and figures out. Pure: the caller reads the files
// and chooses the window, so the same entries always give the same answer.
import type { AuditEntry } from './audit';
import { formatDuration } from './duration-format';

export type HistoryEventKind = 'promoted' | 'rolled_back' | 'rollback_failed' | 'manual_rollback' | 'recorded';

export interface HistoryEvent {
  /** ISO time of the entry that completes it. */
  at: string;
  /** The seed's word for the environment: 'staging' | 'production', or the environment's own name. */
  environment: string;
  kind: HistoryEventKind;
  /** The version promoted, rolled away from or recorded (a manual rollback's restored version is `toVersion`). */
  version: string;
  /** Rollbacks: the version restored, when known. */
  toVersion: string | null;
  /** Promoted: its approvers, else its requester; manual rollback and record: who asked; automatic rollback: null. */
  by: string | null;
  /** Who started the release (its start entry), or who asked for the manual rollback or record. */
  requestedBy: string | null;
  workflowId: string;
  runId: string;
  /** The completing entry's reason, on one line. */
  reason: string;
}

export interface DoraFigures {
  window: { since: string; until: string; days: number };
  /** Runs that reached PROMOTED in production in the window. */
  deployments: number;
  deploymentsPerDay: number;
  /** Commit → production: only for runs whose commit time is known (map commit_sha → ISO commit time passed in). */
  leadTime: { samples: number; medianMs: number | null; p90Ms: number | null };
  /** Request (the run's 'start' entry) → production, for every deployment: known even without commit times. */
  requestToProduction: { samples: number; medianMs: number | null };
  /**
   * Changes that reached users (runs that reached canary or production and finished in the window) and
   * those that failed: rolled back automatically, or PROMOTED and later rolled away from by hand in the window.
   */
  changes: number;
  failures: number;
  changeFailureRate: number | null;
  /** Per restored failure: automatic from the run's first 'rollback' entry to its finish, manual from request to ROLLED_BACK. */
  timeToRestore: { samples: number; medianMs: number | null; maxMs: number | null };
  /** One line per figure saying how it was computed, for the CLI to print. */
  explanation: string[];
}

const DAY_MS = 86_400_000;
/** Explanations name at most this many samples: a quarter's window would otherwise print hundreds. */
const MAX_LISTED = 10;
const SEED_RANK = new Map<string, number>([
  ['dev', 0],
  ['staging', 1],
  ['canary', 2],
  ['production', 3],
]);
const MANUAL_ENDS = new Set(['ROLLED_BACK', 'FAILED', 'REFUSED']);

/** One release run (kind standard or hotfix), its entries in the order they were written. */
interface ReleaseRun {
  workflowId: string;
  runId: string;
  version: string;
  commitSha: string | null;
  entries: AuditEntry[];
  start: AuditEntry | undefined;
  requestedBy: string | null;
  /** Its promotion to staging (hotfixes skip it). */
  staging: AuditEntry | undefined;
  /** The first entry at canary or production: from then on users were served the version. */
  reachedUsers: AuditEntry | undefined;
  /** The decision to roll back. */
  firstRollback: AuditEntry | undefined;
  finish: AuditEntry | undefined;
}

/** One manual rollback workflow run. */
interface ManualRollback {
  workflowId: string;
  runId: string;
  request: AuditEntry;
  /** Its ROLLED_BACK, FAILED or REFUSED entry; undefined while it runs. */
  end: AuditEntry | undefined;
  environment: string;
  fromVersion: string | null;
  toVersion: string | null;
  by: string | null;
}

interface Trail {
  runs: ReleaseRun[];
  rollbacks: ManualRollback[];
  records: AuditEntry[];
}

const time = (iso: string): number => Date.parse(iso);
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
const rank = (stage: string | null): number => (stage === null ? -1 : (SEED_RANK.get(stage) ?? -1));
const outcomeOf = (run: ReleaseRun): string | null => run.finish?.internal_stage ?? null;

/** Earlier first; NaN times (unparsable) fall back to the text so the order stays total. */
function compareTimes(a: string, b: string): number {
  const d = time(a) - time(b);
  return Number.isNaN(d) || d === 0 ? (a < b ? -1 : a > b ? 1 : 0) : d;
}

/** Array#findLast, which ES2022's lib lacks. */
function lastOf<T>(items: readonly T[], match: (item: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i]!)) return items[i];
  return undefined;
}

function compareEntries(a: AuditEntry, b: AuditEntry): number {
  return a.seq - b.seq || compareTimes(a.timestamp, b.timestamp);
}

/** Groups the entries by run; an entry read twice (same idempotency key) counts once. */
function readTrail(entries: readonly AuditEntry[]): Trail {
  const seen = new Set<string>();
  const groups = new Map<string, AuditEntry[]>();
  const records: AuditEntry[] = [];
  for (const entry of entries) {
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    if (entry.kind === 'record') {
      if (entry.action === 'record_version') records.push(entry);
      continue;
    }
    const group = `${entry.kind === 'rollback' ? 'rollback' : 'release'}\u0000${entry.workflow_id}\u0000${entry.run_id}`;
    const list = groups.get(group);
    if (list) list.push(entry);
    else groups.set(group, [entry]);
  }
  const runs: ReleaseRun[] = [];
  const rollbacks: ManualRollback[] = [];
  for (const list of groups.values()) {
    list.sort(compareEntries);
    const first = list[0]!;
    if (first.kind === 'rollback') rollbacks.push(manualRollbackOf(list));
    else runs.push(releaseRunOf(list));
  }
  return { runs, rollbacks, records };
}

function releaseRunOf(entries: AuditEntry[]): ReleaseRun {
  const first = entries[0]!;
  const start = entries.find((e) => e.action === 'start');
  return {
    workflowId: first.workflow_id,
    runId: first.run_id,
    version: first.version,
    commitSha: entries.find((e) => e.commit_sha !== null)?.commit_sha ?? null,
    entries,
    start,
    requestedBy: start ? (/started by (\S+)/.exec(start.reason)?.[1] ?? null) : null,
    staging: entries.find((e) => e.action === 'promote' && e.to_stage === 'staging'),
    reachedUsers: entries.find((e) => rank(e.to_stage) >= rank('canary')),
    firstRollback: entries.find((e) => e.action === 'rollback'),
    finish: lastOf(entries, (e) => e.action === 'finish'),
  };
}

function manualRollbackOf(entries: AuditEntry[]): ManualRollback {
  const request = entries[0]!;
  const end = lastOf(entries, (e) => e.internal_stage !== null && MANUAL_ENDS.has(e.internal_stage));
  // The versions are known only once resolved: the end entry knows best.
  const latest = [...entries].reverse();
  return {
    workflowId: request.workflow_id,
    runId: request.run_id,
    request,
    end,
    environment: request.from_stage ?? request.to_stage ?? 'production',
    fromVersion: latest.find((e) => e.from_version !== null)?.from_version ?? null,
    toVersion: latest.find((e) => e.to_version !== null)?.to_version ?? null,
    by: request.approved_by,
  };
}

/** The run's approvers up to entry `upTo` (a hotfix's two may share one entry), else its requester. */
function approversOf(run: ReleaseRun, upTo: AuditEntry): string | null {
  const names: string[] = [];
  for (const e of run.entries) {
    if (compareEntries(e, upTo) > 0) break;
    if ((e.action !== 'approve' && e.action !== 'hotfix_approve') || e.approved_by === null) continue;
    for (const name of e.approved_by.split(',').map((n) => n.trim()))
      if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names.length > 0 ? names.join(', ') : run.requestedBy;
}

interface Placed {
  event: HistoryEvent;
  seq: number;
}

function runEvent(
  run: ReleaseRun,
  entry: AuditEntry,
  kind: HistoryEventKind,
  environment: string,
  by: string | null,
  toVersion: string | null,
): Placed {
  return {
    event: {
      at: entry.timestamp,
      environment,
      kind,
      version: run.version,
      toVersion,
      by,
      requestedBy: run.requestedBy,
      workflowId: run.workflowId,
      runId: run.runId,
      reason: oneLine(entry.reason),
    },
    seq: entry.seq,
  };
}

function releaseEvents(run: ReleaseRun): Placed[] {
  const events: Placed[] = [];
  if (run.staging) events.push(runEvent(run, run.staging, 'promoted', 'staging', approversOf(run, run.staging), null));
  const finish = run.finish;
  if (!finish) return events;
  const outcome = outcomeOf(run);
  const inProduction = run.reachedUsers !== undefined;
  // The version production went back to; a staging rollback's entries name production's, not staging's.
  const restored = inProduction
    ? (run.entries.find((e) => (e.action === 'rollback' || e.action === 'rollback_failed') && e.to_version !== null)
        ?.to_version ?? null)
    : null;
  const environment = inProduction ? 'production' : 'staging';
  if (outcome === 'PROMOTED')
    events.push(runEvent(run, finish, 'promoted', 'production', approversOf(run, finish), null));
  else if (outcome === 'ROLLBACK_FAILED')
    events.push(runEvent(run, finish, 'rollback_failed', environment, null, restored));
  else if (outcome === 'ROLLED_BACK' && inProduction)
    events.push(runEvent(run, finish, 'rolled_back', 'production', null, restored));
  // Before the canary only staging had changed; a run that never reached staging changed nothing.
  else if ((outcome === 'ROLLED_BACK' || outcome === 'FAILED') && !inProduction && run.staging)
    events.push(runEvent(run, finish, 'rolled_back', 'staging', null, null));
  return events;
}

function manualEvent(rollback: ManualRollback): Placed | null {
  const end = rollback.end;
  if (!end || end.internal_stage === 'REFUSED') return null;
  return {
    event: {
      at: end.timestamp,
      environment: rollback.environment,
      kind: end.internal_stage === 'ROLLED_BACK' ? 'manual_rollback' : 'rollback_failed',
      version: rollback.fromVersion ?? '-',
      toVersion: rollback.toVersion,
      by: rollback.by,
      requestedBy: rollback.by,
      workflowId: rollback.workflowId,
      runId: rollback.runId,
      reason: oneLine(end.reason),
    },
    seq: end.seq,
  };
}

function recordEvent(entry: AuditEntry): Placed {
  return {
    event: {
      at: entry.timestamp,
      environment: entry.from_stage ?? entry.to_stage ?? '-',
      kind: 'recorded',
      version: entry.to_version ?? entry.version,
      toVersion: null,
      by: entry.approved_by,
      requestedBy: entry.approved_by,
      workflowId: entry.workflow_id,
      runId: entry.run_id,
      reason: oneLine(entry.reason),
    },
    seq: entry.seq,
  };
}

/** Every promotion, rollback and record in the entries, earliest first (ties: by workflow ID). */
export function historyEvents(entries: readonly AuditEntry[]): HistoryEvent[] {
  const { runs, rollbacks, records } = readTrail(entries);
  const placed: Placed[] = [
    ...runs.flatMap(releaseEvents),
    ...rollbacks.flatMap((r) => manualEvent(r) ?? []),
    ...records.map(recordEvent),
  ];
  // Beyond the specified order, run ID and sequence keep it independent of the input's order.
  placed.sort(
    (a, b) =>
      compareTimes(a.event.at, b.event.at) ||
      compareText(a.event.workflowId, b.event.workflowId) ||
      compareText(a.event.runId, b.event.runId) ||
      a.seq - b.seq,
  );
  return placed.map((p) => p.event);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseTime(iso: string, what: string): number {
  const ms = time(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${what} "${iso}" is not an ISO time like 2025-10-05T12:00:00Z`);
  return ms;
}

/** The events in `filter.environment` (when given) at or after `filter.since` (when given). */
export function filterEvents(
  events: readonly HistoryEvent[],
  filter: { environment?: string; since?: string },
): HistoryEvent[] {
  const since = filter.since === undefined ? null : parseTime(filter.since, 'since');
  return events.filter(
    (e) =>
      (filter.environment === undefined || e.environment === filter.environment) &&
      (since === null || time(e.at) >= since),
  );
}

function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return null;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest rank: the ceil(p·n)-th smallest, so it is always one of the samples. */
function percentile(values: readonly number[], p: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

const maximum = (values: readonly number[]): number | null => (values.length === 0 ? null : Math.max(...values));
const round = (n: number, digits: number): number => Number(n.toFixed(digits));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const duration = (ms: number | null): string => (ms === null ? '-' : formatDuration(Math.round(ms)));

function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown;
}

interface Failure {
  run: ReleaseRun;
  at: number;
  /** How it is named in the change failure line. */
  label: string;
  /** Time to restore; null when nothing was restored (the rollback failed). */
  restoreMs: number | null;
  how: string;
}

/** Production's DORA figures over [since, until], with how each was computed. */
export function doraFigures(
  entries: readonly AuditEntry[],
  window: { since: string; until: string },
  commitTimes: ReadonlyMap<string, string> = new Map(),
): DoraFigures {
  const since = parseTime(window.since, 'since');
  const until = parseTime(window.until, 'until');
  if (until < since) throw new RangeError(`the window ends (${window.until}) before it starts (${window.since})`);
  const days = (until - since) / DAY_MS;
  const within = (e: AuditEntry | undefined): e is AuditEntry =>
    e !== undefined && time(e.timestamp) >= since && time(e.timestamp) <= until;
  const byFinish = (a: ReleaseRun, b: ReleaseRun) =>
    compareTimes(a.finish!.timestamp, b.finish!.timestamp) || compareText(a.workflowId, b.workflowId);

  const { runs, rollbacks } = readTrail(entries);
  // A run counts once it finished: one still running has no outcome yet.
  const finished = runs.filter((r) => within(r.finish)).sort(byFinish);
  const deployments = finished.filter((r) => outcomeOf(r) === 'PROMOTED');
  const changes = finished.filter((r) => r.reachedUsers !== undefined);

  const leadSamples: Array<{ run: ReleaseRun; ms: number }> = [];
  for (const run of deployments) {
    const committed = run.commitSha === null ? undefined : commitTimes.get(run.commitSha);
    const ms = committed === undefined ? NaN : time(run.finish!.timestamp) - time(committed);
    if (!Number.isNaN(ms)) leadSamples.push({ run, ms });
  }
  const requestSamples = deployments.flatMap((run) =>
    run.start ? [{ run, ms: time(run.finish!.timestamp) - time(run.start.timestamp) }] : [],
  );

  const failures: Failure[] = [];
  for (const run of changes) {
    const outcome = outcomeOf(run);
    if (outcome !== 'ROLLED_BACK' && outcome !== 'ROLLBACK_FAILED') continue;
    const stage = run.finish!.from_stage ?? 'canary';
    const restored = outcome === 'ROLLED_BACK' && run.firstRollback !== undefined;
    failures.push({
      run,
      at: time(run.finish!.timestamp),
      label: `${run.version} ${outcome === 'ROLLED_BACK' ? 'rolled back' : 'rollback failed'} (${stage})`,
      restoreMs: restored ? time(run.finish!.timestamp) - time(run.firstRollback!.timestamp) : null,
      how: outcome === 'ROLLED_BACK' ? 'automatic' : 'the rollback failed',
    });
  }
  // A manual rollback away from a version is the failure of the latest run that promoted it before.
  const promoted = runs.filter((r) => outcomeOf(r) === 'PROMOTED').sort(byFinish);
  const manual = rollbacks
    .filter((r) => r.environment === 'production' && r.end?.internal_stage === 'ROLLED_BACK' && within(r.end))
    .sort((a, b) => compareTimes(a.end!.timestamp, b.end!.timestamp) || compareText(a.workflowId, b.workflowId));
  for (const rollback of manual) {
    const run = lastOf(
      promoted,
      (r) => r.version === rollback.fromVersion && time(r.finish!.timestamp) <= time(rollback.request.timestamp),
    );
    if (!run || !changes.includes(run) || failures.some((f) => f.run === run)) continue;
    failures.push({
      run,
      at: time(rollback.end!.timestamp),
      label: `${run.version} rolled back by hand`,
      restoreMs: time(rollback.end!.timestamp) - time(rollback.request.timestamp),
      how: `by hand, ${rollback.workflowId}`,
    });
  }
  failures.sort((a, b) => a.at - b.at || compareText(a.run.workflowId, b.run.workflowId));
  const restores = failures.flatMap((f) => (f.restoreMs === null ? [] : [f.restoreMs]));

  const leadMs = leadSamples.map((s) => s.ms);
  const requestMs = requestSamples.map((s) => s.ms);
  const figures: Omit<DoraFigures, 'explanation'> = {
    window: { since: window.since, until: window.until, days },
    deployments: deployments.length,
    deploymentsPerDay: days === 0 ? 0 : deployments.length / days,
    leadTime: { samples: leadMs.length, medianMs: median(leadMs), p90Ms: percentile(leadMs, 0.9) },
    requestToProduction: { samples: requestMs.length, medianMs: median(requestMs) },
    changes: changes.length,
    failures: failures.length,
    changeFailureRate: changes.length === 0 ? null : failures.length / changes.length,
    timeToRestore: { samples: restores.length, medianMs: median(restores), maxMs: maximum(restores) },
  };

  const n = deployments.length;
  const explanation = [
    `deployments ${n} in ${round(days, 2)} days = ${round(figures.deploymentsPerDay, 2)}/day` +
      (n > 0 ? `: ${listed(deployments.map((r) => r.version))}` : ': no run was PROMOTED to production in the window'),
    leadMs.length > 0
      ? `lead time (commit → production) median ${duration(figures.leadTime.medianMs)}, p90 ${duration(figures.leadTime.p90Ms)} over ${leadMs.length} of ${plural(n, 'deployment')} with a known commit time: ${listed(leadSamples.map((s) => `${s.run.version} ${duration(s.ms)}`))}`
      : `lead time (commit → production): no sample, ${n === 0 ? 'no deployment in the window' : n === 1 ? 'the deployment has no known commit time' : `none of the ${n} deployments has a known commit time`}`,
    requestMs.length > 0
      ? `request → production median ${duration(figures.requestToProduction.medianMs)} over ${requestMs.length} of ${plural(n, 'deployment')}: ${listed(requestSamples.map((s) => `${s.run.version} ${duration(s.ms)}`))}`
      : `request → production: no sample, ${n === 0 ? 'no deployment in the window' : 'no deployment has its start entry'}`,
    figures.changeFailureRate === null
      ? 'change failure rate: no change reached canary or production and finished in the window'
      : `change failure rate ${failures.length}/${changes.length} = ${round(figures.changeFailureRate * 100, 1)}%` +
        (failures.length > 0 ? `: ${listed(failures.map((f) => f.label))}` : ''),
    failures.length === 0
      ? 'time to restore: no failure in the window'
      : (restores.length === 0
          ? 'time to restore: no failure was restored'
          : `time to restore median ${duration(figures.timeToRestore.medianMs)}, max ${duration(figures.timeToRestore.maxMs)} over ${plural(restores.length, 'restore')}`) +
        `: ${listed(failures.map((f) => (f.restoreMs === null ? `${f.run.version} not restored (${f.how})` : `${f.run.version} ${duration(f.restoreMs)} (${f.how})`)))}`,
  ];
  return { ...figures, explanation };
}
