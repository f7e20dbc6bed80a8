// Release history and DORA figures from hand-built audit trails: a known week of releases, then the edges.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditEntry, type AuditAction, type AuditEntry, type AuditFacts, type SeedStage } from '../../src/shared/audit';
import { doraFigures, filterEvents, historyEvents, type HistoryEvent } from '../../src/shared/release-history';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const BASE = Date.parse('2026-03-02T00:00:00.000Z');
/** ISO time `day` days (and hours, minutes) after the week's start. */
const t = (day: number, hour = 0, minute = 0): string =>
  new Date(BASE + day * DAY + hour * HOUR + minute * MIN).toISOString();
const WEEK = { since: t(0), until: t(7) };

const INTERNAL: Record<SeedStage, string> = {
  dev: 'DEV_GATES',
  staging: 'DEPLOYING_STAGING',
  canary: 'CANARY',
  production: 'PRODUCTION_ROLLOUT',
};

/** One release run's entries, written as the workflow writes them: seq in order, seed stage carried along. */
class Run {
  readonly entries: AuditEntry[] = [];
  private seed: SeedStage = 'dev';
  private stage: string;
  readonly kind: 'standard' | 'hotfix';
  readonly workflowId: string;
  readonly runId: string;
  readonly commit: string;
  readonly by: string;

  constructor(
    readonly version: string,
    o: { kind?: 'standard' | 'hotfix'; by?: string; commit?: string; runId?: string; workflowId?: string } = {},
  ) {
    this.kind = o.kind ?? 'standard';
    this.workflowId = o.workflowId ?? `${this.kind === 'hotfix' ? 'hotfix' : 'release'}-${version}`;
    this.runId = o.runId ?? `run-${version}`;
    this.commit = o.commit ?? `c-${version}`;
    this.by = o.by ?? '@release-bot';
    this.stage = this.kind === 'hotfix' ? 'AWAITING_APPROVAL' : 'DEV_GATES';
  }

  private add(action: AuditAction, timestamp: string, reason: string, extra: Partial<AuditFacts> = {}): this {
    this.entries.push(
      auditEntry({
        seq: this.entries.length + 1,
        version: this.version,
        timestamp,
        action,
        from_stage: this.seed,
        to_stage: this.seed,
        approved_by: null,
        ci_run_id: 'ci-1',
        commit_sha: this.commit,
        workflow_id: this.workflowId,
        run_id: this.runId,
        kind: this.kind,
        reason,
        channel: null,
        internal_stage: this.stage,
        from_version: null,
        to_version: null,
        ...extra,
      }),
    );
    return this;
  }

  start(at: string): this {
    return this.add(
      'start',
      at,
      `${this.kind} release of ${this.version} (commit ${this.commit}) started by ${this.by} under policy sha256:ecc1`,
    );
  }

  gate(at: string): this {
    return this.add('gate', at, 'ci-checks passed');
  }

  promote(to: SeedStage, at: string): this {
    const from = this.seed;
    this.seed = to;
    this.stage = INTERNAL[to];
    return this.add('promote', at, `deploying ${this.version} to ${to}`, { from_stage: from, to_stage: to });
  }

  approve(who: string, at: string): this {
    const action = this.kind === 'hotfix' ? 'hotfix_approve' : 'approve';
    return this.add(action, at, `approved via cli (${who})`, { approved_by: who, channel: 'cli' });
  }

  rollback(at: string, reason: string, restores: string | null): this {
    this.stage = 'ROLLING_BACK';
    return this.add('rollback', at, reason, { from_version: this.version, to_version: restores });
  }

  rollbackFailed(at: string, restores: string | null): this {
    return this.add('rollback_failed', at, 'restore failed: deploy timed out', {
      from_version: this.version,
      to_version: restores,
    });
  }

  finish(outcome: string, at: string, reason = `${this.version} ${outcome}`): this {
    this.stage = outcome;
    return this.add('finish', at, reason);
  }

  /** The usual successful path: start, staging, approval, canary, production, PROMOTED. */
  promoted(day: number, o: { approver?: string; startHour?: number } = {}): this {
    const h = o.startHour ?? 9;
    return this.start(t(day, h))
      .promote('staging', t(day, h, 5))
      .approve(o.approver ?? '@alice', t(day, h + 1))
      .promote('canary', t(day, h + 1, 1))
      .promote('production', t(day, h + 2))
      .finish('PROMOTED', t(day, h + 2, 5), `${this.version} serves 100% of production`);
  }
}

type ManualEnd = 'ROLLED_BACK' | 'FAILED' | 'REFUSED' | null;

/** A manual rollback's entries: its request, then how it ended (a refusal before resolving is one entry). */
function manualRollback(o: {
  id: string;
  env?: string;
  by: string;
  from: string | null;
  to: string | null;
  requestAt: string;
  endAt: string;
  end: ManualEnd;
  refuseAction?: AuditAction;
}): AuditEntry[] {
  const env = o.env ?? 'production';
  const entry = (seq: number, action: AuditAction, timestamp: string, stage: string, reason: string) =>
    auditEntry({
      seq,
      version: o.to ?? '-',
      timestamp,
      action,
      from_stage: env,
      to_stage: env,
      approved_by: o.by,
      ci_run_id: null,
      commit_sha: null,
      workflow_id: o.id,
      run_id: `run-${o.id}`,
      kind: 'rollback',
      reason,
      channel: 'cli',
      internal_stage: stage,
      from_version: o.from,
      to_version: o.to,
    });
  if (o.end === 'REFUSED')
    return [entry(1, o.refuseAction ?? 'refuse', o.endAt, 'REFUSED', `rollback of ${env} refused: not allowed`)];
  const request = entry(
    1,
    'rollback',
    o.requestAt,
    'RESOLVING',
    `manual rollback of ${env} from ${o.from} to ${o.to} requested by ${o.by}`,
  );
  if (o.end === null) return [request];
  const ended =
    o.end === 'ROLLED_BACK'
      ? entry(2, 'rollback', o.endAt, 'ROLLED_BACK', `${env} runs ${o.to} again (was ${o.from})`)
      : entry(2, 'rollback_failed', o.endAt, 'FAILED', `verification failed: api-gateway unhealthy`);
  return [request, ended];
}

function recorded(id: string, env: string, version: string, by: string, at: string): AuditEntry {
  return auditEntry({
    seq: 1,
    version,
    timestamp: at,
    action: 'record_version',
    from_stage: env,
    to_stage: env,
    approved_by: by,
    ci_run_id: null,
    commit_sha: null,
    workflow_id: id,
    run_id: `run-${id}`,
    kind: 'record',
    reason: `${env}: ${version} recorded by hand by ${by}`,
    channel: 'cli',
    internal_stage: 'RECORDED',
    from_version: null,
    to_version: version,
  });
}

/** One event on one line, to compare whole histories at a glance. */
const line = (e: HistoryEvent): string =>
  `${e.at} ${e.kind} ${e.environment} ${e.version}→${e.toVersion ?? '∅'} by ${e.by ?? '∅'} req ${e.requestedBy ?? '∅'} ${e.workflowId}`;

// The week: v1.2.9 before it, 5 releases in it (3 promoted, 1 rolled back in the canary, 1 promoted then
// rolled back by hand 2 h later), a hotfix with two approvers, a staging rollback, a refused manual
// rollback, a version recorded by hand, a run still in its canary, and v1.3.7 after it.
const week: AuditEntry[] = [
  ...new Run('v1.2.9').promoted(-2, { startHour: 8 }).entries,
  ...manualRollback({
    id: 'rollback-production-0',
    by: '@dave',
    from: 'v1.2.9',
    to: 'v1.2.8',
    requestAt: t(0, 0, 50),
    endAt: t(0, 1),
    end: 'ROLLED_BACK',
  }),
  ...new Run('v1.3.0').promoted(0).entries,
  ...new Run('v1.3.1')
    .start(t(1, 9))
    .promote('staging', t(1, 9, 10))
    .approve('@bob', t(1, 12))
    .promote('canary', t(1, 12, 1))
    .rollback(t(1, 12, 31), 'canary breached: error rate 2% > 1%', 'v1.3.0')
    .finish('ROLLED_BACK', t(1, 12, 41), 'canary breached: error rate 2% > 1%;\nv1.3.0 still serves production')
    .entries,
  ...new Run('v1.3.2', { by: '@carol' })
    .start(t(2, 9))
    .promote('staging', t(2, 9, 5))
    .approve('@alice', t(2, 11))
    .promote('canary', t(2, 11, 1))
    .promote('production', t(2, 12))
    .finish('PROMOTED', t(2, 12, 10)).entries,
  ...manualRollback({
    id: 'rollback-production-1',
    by: '@dave',
    from: 'v1.3.2',
    to: 'v1.3.0',
    requestAt: t(2, 14, 10),
    endAt: t(2, 14, 25),
    end: 'ROLLED_BACK',
  }),
  ...new Run('v1.3.3', { kind: 'hotfix', by: '@carol' })
    .start(t(3, 20))
    .approve('@alice,@bob', t(3, 20, 20))
    .promote('canary', t(3, 20, 21))
    .promote('production', t(3, 20, 40))
    .finish('PROMOTED', t(3, 20, 45)).entries,
  ...new Run('v1.3.4')
    .start(t(4, 9))
    .promote('staging', t(4, 9, 5))
    .rollback(t(4, 9, 30), 'staging soak failed: e2e 140/148', 'v1.3.0')
    .finish('ROLLED_BACK', t(4, 9, 40)).entries,
  ...new Run('v1.3.5').promoted(5, { approver: '@bob' }).entries,
  ...manualRollback({
    id: 'rollback-production-2',
    by: '@mallory',
    from: null,
    to: null,
    requestAt: t(5, 13),
    endAt: t(5, 13),
    end: 'REFUSED',
  }),
  recorded('record-staging-1', 'staging', 'v1.3.5', '@ops', t(6, 8)),
  ...new Run('v1.3.6')
    .start(t(6, 9))
    .promote('staging', t(6, 9, 5))
    .approve('@alice', t(6, 10))
    .promote('canary', t(6, 10, 1)).entries,
  ...new Run('v1.3.7').promoted(8, { approver: '@bob' }).entries,
];

const commitTimes = new Map([
  ['c-v1.3.0', t(-1, 15)], // 20h5m before production (11:05)
  ['c-v1.3.1', t(1, 8)], // rolled back: not a deployment, not a sample
  ['c-v1.3.2', t(2, 8)], // 4h10m
  ['c-v1.3.5', t(4, 9)], // 1d2h5m
]);

const weekHistory = [
  `${t(-2, 8, 5)} promoted staging v1.2.9→∅ by @release-bot req @release-bot release-v1.2.9`,
  `${t(-2, 10, 5)} promoted production v1.2.9→∅ by @alice req @release-bot release-v1.2.9`,
  `${t(0, 1)} manual_rollback production v1.2.9→v1.2.8 by @dave req @dave rollback-production-0`,
  `${t(0, 9, 5)} promoted staging v1.3.0→∅ by @release-bot req @release-bot release-v1.3.0`,
  `${t(0, 11, 5)} promoted production v1.3.0→∅ by @alice req @release-bot release-v1.3.0`,
  `${t(1, 9, 10)} promoted staging v1.3.1→∅ by @release-bot req @release-bot release-v1.3.1`,
  `${t(1, 12, 41)} rolled_back production v1.3.1→v1.3.0 by ∅ req @release-bot release-v1.3.1`,
  `${t(2, 9, 5)} promoted staging v1.3.2→∅ by @carol req @carol release-v1.3.2`,
  `${t(2, 12, 10)} promoted production v1.3.2→∅ by @alice req @carol release-v1.3.2`,
  `${t(2, 14, 25)} manual_rollback production v1.3.2→v1.3.0 by @dave req @dave rollback-production-1`,
  `${t(3, 20, 45)} promoted production v1.3.3→∅ by @alice, @bob req @carol hotfix-v1.3.3`,
  `${t(4, 9, 5)} promoted staging v1.3.4→∅ by @release-bot req @release-bot release-v1.3.4`,
  `${t(4, 9, 40)} rolled_back staging v1.3.4→∅ by ∅ req @release-bot release-v1.3.4`,
  `${t(5, 9, 5)} promoted staging v1.3.5→∅ by @release-bot req @release-bot release-v1.3.5`,
  `${t(5, 11, 5)} promoted production v1.3.5→∅ by @bob req @release-bot release-v1.3.5`,
  `${t(6, 8)} recorded staging v1.3.5→∅ by @ops req @ops record-staging-1`,
  `${t(6, 9, 5)} promoted staging v1.3.6→∅ by @release-bot req @release-bot release-v1.3.6`,
  `${t(8, 9, 5)} promoted staging v1.3.7→∅ by @release-bot req @release-bot release-v1.3.7`,
  `${t(8, 11, 5)} promoted production v1.3.7→∅ by @bob req @release-bot release-v1.3.7`,
];

/** A fixed shuffle: every third entry first, then the rest reversed. */
const shuffled = <T>(items: readonly T[]): T[] => [
  ...items.filter((_, i) => i % 3 === 0),
  ...items.filter((_, i) => i % 3 !== 0).reverse(),
];

describe('release history: the week', () => {
  const events = historyEvents(week);

  it('lists every promotion, rollback and record, earliest first, with who and the outcome', () => {
    assert.deepEqual(events.map(line), weekHistory);
  });

  it('fills every field of an event from its completing entry', () => {
    assert.deepEqual(
      events.find((e) => e.kind === 'rolled_back' && e.environment === 'production'),
      {
        at: t(1, 12, 41),
        environment: 'production',
        kind: 'rolled_back',
        version: 'v1.3.1',
        toVersion: 'v1.3.0',
        by: null,
        requestedBy: '@release-bot',
        workflowId: 'release-v1.3.1',
        runId: 'run-v1.3.1',
        reason: 'canary breached: error rate 2% > 1%; v1.3.0 still serves production',
      } satisfies HistoryEvent,
    );
    assert.equal(
      events.find((e) => e.kind === 'manual_rollback' && e.version === 'v1.3.2')?.reason,
      'production runs v1.3.0 again (was v1.3.2)',
    );
  });

  it('gives the same history whatever order the entries come in, and counts an entry read twice once', () => {
    assert.deepEqual(historyEvents(shuffled(week)), events);
    assert.deepEqual(historyEvents([...week].reverse()), events);
    assert.deepEqual(historyEvents([...week, ...week.slice(0, 20)]), events);
  });

  const filters: Array<[string, Parameters<typeof filterEvents>[1], string[]]> = [
    ['no filter', {}, weekHistory],
    ['production', { environment: 'production' }, weekHistory.filter((l) => / production /.test(l))],
    ['staging', { environment: 'staging' }, weekHistory.filter((l) => / staging /.test(l))],
    ['an environment with no events', { environment: 'qa' }, []],
    ['since day 5 (inclusive of an event at that exact time)', { since: t(5, 9, 5) }, weekHistory.slice(13)],
    ['production since day 5', { environment: 'production', since: t(5) }, [weekHistory[14]!, weekHistory[18]!]],
    ['since after everything', { since: t(30) }, []],
  ];
  for (const [name, filter, expected] of filters)
    it(`filters: ${name}`, () => assert.deepEqual(filterEvents(events, filter).map(line), expected));

  it('filters: refuses a since that is not a time', () => {
    assert.throws(() => filterEvents(events, { since: 'yesterday' }), /"yesterday" is not an ISO time/);
  });
});

describe('DORA figures: the week', () => {
  const dora = doraFigures(week, WEEK, commitTimes);

  it('counts the figures exactly', () => {
    const { explanation: _, ...figures } = dora;
    assert.deepEqual(figures, {
      window: { since: t(0), until: t(7), days: 7 },
      deployments: 4, // v1.3.0, v1.3.2, v1.3.3 (hotfix), v1.3.5; v1.2.9 and v1.3.7 are outside, v1.3.6 runs
      deploymentsPerDay: 4 / 7,
      // 4h10m, 20h5m, 1d2h5m: odd count; p90 = 3rd of 3
      leadTime: { samples: 3, medianMs: 20 * HOUR + 5 * MIN, p90Ms: DAY + 2 * HOUR + 5 * MIN },
      // 45m, 2h5m, 2h5m, 3h10m: even count, mean of the middle two
      requestToProduction: { samples: 4, medianMs: 2 * HOUR + 5 * MIN },
      changes: 5, // the 4 deployments and v1.3.1; not the staging-only v1.3.4, not the running v1.3.6
      failures: 2, // v1.3.1 (canary), v1.3.2 (by hand); not v1.2.9, promoted before the window
      changeFailureRate: 0.4,
      timeToRestore: { samples: 2, medianMs: 12.5 * MIN, maxMs: 15 * MIN },
    });
  });

  it('explains each figure on one line', () => {
    assert.deepEqual(dora.explanation, [
      'deployments 4 in 7 days = 0.57/day: v1.3.0, v1.3.2, v1.3.3, v1.3.5',
      'lead time (commit → production) median 20h5m, p90 1d2h5m over 3 of 4 deployments with a known commit time: v1.3.0 20h5m, v1.3.2 4h10m, v1.3.5 1d2h5m',
      'request → production median 2h5m over 4 of 4 deployments: v1.3.0 2h5m, v1.3.2 3h10m, v1.3.3 45m, v1.3.5 2h5m',
      'change failure rate 2/5 = 40%: v1.3.1 rolled back (canary), v1.3.2 rolled back by hand',
      'time to restore median 12m30s, max 15m over 2 restores: v1.3.1 10m (automatic), v1.3.2 15m (by hand, rollback-production-1)',
    ]);
  });

  it('gives the same figures whatever order the entries come in', () => {
    assert.deepEqual(doraFigures(shuffled(week), WEEK, commitTimes), dora);
    assert.deepEqual(doraFigures([...week].reverse(), WEEK, commitTimes), dora);
    assert.deepEqual(doraFigures([...week, ...week], WEEK, commitTimes), dora);
  });

  it('without commit times: no lead time, every other figure unchanged', () => {
    const without = doraFigures(week, WEEK);
    assert.deepEqual(without.leadTime, { samples: 0, medianMs: null, p90Ms: null });
    assert.equal(
      without.explanation[1],
      'lead time (commit → production): no sample, none of the 4 deployments has a known commit time',
    );
    assert.deepEqual(without.requestToProduction, dora.requestToProduction);
    assert.equal(without.changeFailureRate, 0.4);
  });

  it('ignores a commit time that is not a time', () => {
    const bad = new Map([...commitTimes, ['c-v1.3.3', 'last tuesday']]);
    assert.deepEqual(doraFigures(week, WEEK, bad).leadTime, dora.leadTime);
  });

  it('a window from day 2: v1.3.0 and v1.3.1 fall out', () => {
    const d = doraFigures(week, { since: t(2), until: t(7) }, commitTimes);
    assert.equal(d.deployments, 3);
    assert.equal(d.deploymentsPerDay, 3 / 5);
    assert.deepEqual(d.leadTime, {
      samples: 2,
      medianMs: (4 * HOUR + 10 * MIN + DAY + 2 * HOUR + 5 * MIN) / 2,
      p90Ms: DAY + 2 * HOUR + 5 * MIN,
    });
    assert.equal(d.changes, 3);
    assert.equal(d.failures, 1);
    assert.equal(d.changeFailureRate, 1 / 3);
    assert.deepEqual(d.timeToRestore, { samples: 1, medianMs: 15 * MIN, maxMs: 15 * MIN });
    assert.match(d.explanation[3]!, /^change failure rate 1\/3 = 33\.3%: v1\.3\.2 rolled back by hand$/);
  });

  it('a window ending before the manual rollback: v1.3.2 counts as a change that has not failed (yet)', () => {
    const d = doraFigures(week, { since: t(0), until: t(2, 14) });
    assert.equal(d.changes, 3);
    assert.equal(d.failures, 1);
  });
});

describe('DORA figures: empty and out-of-window', () => {
  const nothing = (since: string, until: string, days: number) => ({
    window: { since, until, days },
    deployments: 0,
    deploymentsPerDay: 0,
    leadTime: { samples: 0, medianMs: null, p90Ms: null },
    requestToProduction: { samples: 0, medianMs: null },
    changes: 0,
    failures: 0,
    changeFailureRate: null,
    timeToRestore: { samples: 0, medianMs: null, maxMs: null },
    explanation: [
      `deployments 0 in ${days} days = 0/day: no run was PROMOTED to production in the window`,
      'lead time (commit → production): no sample, no deployment in the window',
      'request → production: no sample, no deployment in the window',
      'change failure rate: no change reached canary or production and finished in the window',
      'time to restore: no failure in the window',
    ],
  });

  it('empty input', () => {
    assert.deepEqual(historyEvents([]), []);
    assert.deepEqual(filterEvents([], { environment: 'production' }), []);
    assert.deepEqual(doraFigures([], WEEK, commitTimes), nothing(t(0), t(7), 7));
  });

  it('a window that excludes everything', () => {
    assert.deepEqual(doraFigures(week, { since: t(20), until: t(27) }, commitTimes), nothing(t(20), t(27), 7));
  });

  it('an empty window: a rate of 0, not a division by zero', () => {
    const d = doraFigures(week, { since: t(0, 11, 5), until: t(0, 11, 5) });
    assert.equal(d.window.days, 0);
    assert.equal(d.deployments, 1);
    assert.equal(d.deploymentsPerDay, 0);
  });

  it('refuses a window that is not one', () => {
    assert.throws(() => doraFigures(week, { since: 'now', until: t(7) }), /since "now" is not an ISO time/);
    assert.throws(() => doraFigures(week, { since: t(7), until: t(0) }), /the window ends .* before it starts/);
  });
});

describe('DORA figures: medians and p90', () => {
  /** Runs started at 09:00 on successive days, each promoted `minutes` later, committed at its start. */
  const runs = (minutes: readonly number[]) =>
    minutes.flatMap(
      (m, i) =>
        new Run(`v2.0.${i}`)
          .start(t(i, 9))
          .promote('canary', t(i, 9))
          .promote('production', t(i, 9))
          .finish('PROMOTED', t(i, 9, m)).entries,
    );
  const committedAtStart = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`c-v2.0.${i}`, t(i, 9)]));

  const cases: Array<[string, number[], number, number]> = [
    ['one sample', [10], 10, 10],
    ['two: the mean of both; p90 the 2nd', [20, 10], 15, 20],
    ['three: the middle one; p90 the 3rd', [30, 10, 20], 20, 30],
    ['four: the mean of the middle two; p90 the 4th', [40, 10, 30, 20], 25, 40],
    ['ten: p90 is the 9th', [7, 3, 10, 1, 9, 2, 8, 4, 6, 5], 5.5, 9],
    ['eleven: p90 is the 10th (ceil 9.9)', [11, 7, 3, 10, 1, 9, 2, 8, 4, 6, 5], 6, 10],
    ['equal values', [5, 5, 5, 5], 5, 5],
  ];
  for (const [name, minutes, median, p90] of cases)
    it(name, () => {
      const d = doraFigures(runs(minutes), { since: t(0), until: t(30) }, committedAtStart(minutes.length));
      assert.deepEqual(d.leadTime, { samples: minutes.length, medianMs: median * MIN, p90Ms: p90 * MIN });
      assert.deepEqual(d.requestToProduction, { samples: minutes.length, medianMs: median * MIN });
      assert.equal(d.deployments, minutes.length);
      assert.equal(d.changeFailureRate, 0);
    });

  it('time to restore: the median of four restores, and their max', () => {
    const restores = [12, 3, 7, 30];
    const entries = restores.flatMap(
      (m, i) =>
        new Run(`v3.0.${i}`)
          .start(t(i, 9))
          .promote('canary', t(i, 9, 5))
          .rollback(t(i, 10), 'canary breached', 'v2.9.0')
          .finish('ROLLED_BACK', t(i, 10, m)).entries,
    );
    const d = doraFigures(entries, { since: t(0), until: t(10) });
    assert.deepEqual(d.timeToRestore, { samples: 4, medianMs: 9.5 * MIN, maxMs: 30 * MIN });
    assert.equal(d.changeFailureRate, 1);
  });
});

describe('release history: how a run ends', () => {
  /** A run that reached `reached`, then ended `outcome`; what it shows and how DORA counts it. */
  const ended = (reached: SeedStage, outcome: string, rollback: 'none' | 'ok' | 'failed') => {
    const run = new Run('v4.0.0').start(t(1, 9)).gate(t(1, 9, 1));
    if (reached !== 'dev') run.promote('staging', t(1, 9, 5));
    if (reached === 'canary' || reached === 'production')
      run.approve('@alice', t(1, 10)).promote('canary', t(1, 10, 1));
    if (reached === 'production') run.promote('production', t(1, 11));
    if (rollback !== 'none') run.rollback(t(1, 12), 'breached', 'v3.9.0');
    if (rollback === 'failed') run.rollbackFailed(t(1, 12, 20), 'v3.9.0');
    return run.finish(outcome, t(1, 12, 30)).entries;
  };
  type Counted = 'not a change' | 'success' | 'failure';
  const cases: Array<[string, SeedStage, string, 'none' | 'ok' | 'failed', string[], Counted, number]> = [
    ['dev gates failed: nothing deployed, nothing shown', 'dev', 'GATES_FAILED', 'none', [], 'not a change', 0],
    ['FAILED before staging: nothing to roll back', 'dev', 'FAILED', 'none', [], 'not a change', 0],
    [
      'FAILED in staging: staging went back',
      'staging',
      'FAILED',
      'none',
      ['promoted staging', 'rolled_back staging'],
      'not a change',
      0,
    ],
    [
      'ROLLED_BACK in staging',
      'staging',
      'ROLLED_BACK',
      'ok',
      ['promoted staging', 'rolled_back staging'],
      'not a change',
      0,
    ],
    ['REJECTED at approval', 'staging', 'REJECTED', 'ok', ['promoted staging'], 'not a change', 0],
    [
      'ROLLBACK_FAILED in staging',
      'staging',
      'ROLLBACK_FAILED',
      'failed',
      ['promoted staging', 'rollback_failed staging'],
      'not a change',
      0,
    ],
    [
      'ROLLED_BACK in the canary',
      'canary',
      'ROLLED_BACK',
      'ok',
      ['promoted staging', 'rolled_back production'],
      'failure',
      1,
    ],
    [
      'ROLLED_BACK after production',
      'production',
      'ROLLED_BACK',
      'ok',
      ['promoted staging', 'rolled_back production'],
      'failure',
      1,
    ],
    [
      'ROLLBACK_FAILED in the canary: a failure never restored',
      'canary',
      'ROLLBACK_FAILED',
      'failed',
      ['promoted staging', 'rollback_failed production'],
      'failure',
      0,
    ],
    [
      'CANCELLED in the canary: a change, not a failure',
      'canary',
      'CANCELLED',
      'ok',
      ['promoted staging'],
      'success',
      0,
    ],
    ['FAILED after the canary without a rollback', 'canary', 'FAILED', 'none', ['promoted staging'], 'success', 0],
    ['an outcome not known here', 'production', 'TERMINATED', 'none', ['promoted staging'], 'success', 0],
    ['PROMOTED', 'production', 'PROMOTED', 'none', ['promoted staging', 'promoted production'], 'success', 0],
  ];
  for (const [name, reached, outcome, rollback, shown, counted, restores] of cases)
    it(name, () => {
      const entries = ended(reached, outcome, rollback);
      assert.deepEqual(
        historyEvents(entries).map((e) => `${e.kind} ${e.environment}`),
        shown,
      );
      const d = doraFigures(entries, WEEK);
      assert.equal(d.changes, counted === 'not a change' ? 0 : 1);
      assert.equal(d.failures, counted === 'failure' ? 1 : 0);
      assert.equal(d.timeToRestore.samples, restores);
      assert.equal(d.deployments, outcome === 'PROMOTED' ? 1 : 0);
    });

  it('a rollback that failed: shown with the version it meant to restore, explained as not restored', () => {
    const entries = ended('production', 'ROLLBACK_FAILED', 'failed');
    assert.deepEqual(historyEvents(entries).at(-1)?.toVersion, 'v3.9.0');
    assert.equal(
      doraFigures(entries, WEEK).explanation[4],
      'time to restore: no failure was restored: v4.0.0 not restored (the rollback failed)',
    );
    assert.equal(
      doraFigures(entries, WEEK).explanation[3],
      'change failure rate 1/1 = 100%: v4.0.0 rollback failed (production)',
    );
  });

  it('a run still in progress: its staging shows, DORA does not count it', () => {
    const entries = new Run('v4.1.0')
      .start(t(1, 9))
      .promote('staging', t(1, 9, 5))
      .approve('@alice', t(1, 10))
      .promote('canary', t(1, 10, 1))
      .promote('production', t(1, 11)).entries;
    assert.deepEqual(historyEvents(entries).map(line), [
      `${t(1, 9, 5)} promoted staging v4.1.0→∅ by @release-bot req @release-bot release-v4.1.0`,
    ]);
    const d = doraFigures(entries, WEEK);
    assert.deepEqual([d.deployments, d.changes, d.failures, d.changeFailureRate], [0, 0, 0, null]);
  });

  it('a run finishing after the window: not counted in it', () => {
    const entries = new Run('v4.2.0').promoted(6, { startHour: 22 }).entries; // PROMOTED on day 7 at 00:05
    assert.equal(doraFigures(entries, WEEK).deployments, 0);
    assert.equal(doraFigures(entries, { since: t(0), until: t(8) }).deployments, 1);
  });

  it('a hotfix approved in two entries: both approvers, once each', () => {
    const entries = new Run('v4.3.0', { kind: 'hotfix', by: '@carol' })
      .start(t(1, 9))
      .approve('@alice', t(1, 9, 10))
      .approve(' @bob , @alice', t(1, 9, 20))
      .promote('canary', t(1, 9, 21))
      .promote('production', t(1, 9, 40))
      .finish('PROMOTED', t(1, 9, 45)).entries;
    assert.deepEqual(historyEvents(entries).map(line), [
      `${t(1, 9, 45)} promoted production v4.3.0→∅ by @alice, @bob req @carol hotfix-v4.3.0`,
    ]);
  });

  it('a run without its start entry: no requester, no request-to-production sample', () => {
    const entries = new Run('v4.4.0').promoted(1).entries.filter((e) => e.action !== 'start' && e.action !== 'approve');
    const [staging, production] = historyEvents(entries);
    assert.equal(staging?.by, null);
    assert.equal(production?.requestedBy, null);
    const d = doraFigures(entries, WEEK);
    assert.equal(d.deployments, 1);
    assert.deepEqual(d.requestToProduction, { samples: 0, medianMs: null });
    assert.equal(d.explanation[2], 'request → production: no sample, no deployment has its start entry');
  });

  it('events at the same time: ordered by workflow ID', () => {
    const b = new Run('v5.0.0', { workflowId: 'release-b' }).start(t(1, 9)).promote('staging', t(1, 9, 5)).entries;
    const a = new Run('v5.0.1', { workflowId: 'release-a' }).start(t(1, 9)).promote('staging', t(1, 9, 5)).entries;
    assert.deepEqual(
      historyEvents([...b, ...a]).map((e) => e.workflowId),
      ['release-a', 'release-b'],
    );
  });
});

describe('release history: manual rollbacks and records', () => {
  const base = { by: '@dave', from: 'v6.0.1', to: 'v6.0.0', requestAt: t(1, 13), endAt: t(1, 13, 20) };
  const promotedV601 = new Run('v6.0.1').promoted(1).entries; // PROMOTED at 11:05

  const cases: Array<[string, Parameters<typeof manualRollback>[0], string[], number]> = [
    [
      'ROLLED_BACK in production: a failure of the run that promoted it',
      { ...base, id: 'rb-ok', end: 'ROLLED_BACK' },
      [`${t(1, 13, 20)} manual_rollback production v6.0.1→v6.0.0 by @dave req @dave rb-ok`],
      1,
    ],
    [
      'FAILED: shown as a failed rollback, not a restore',
      { ...base, id: 'rb-failed', end: 'FAILED' },
      [`${t(1, 13, 20)} rollback_failed production v6.0.1→v6.0.0 by @dave req @dave rb-failed`],
      0,
    ],
    ['REFUSED by the policy', { ...base, id: 'rb-refused', end: 'REFUSED' }, [], 0],
    [
      'REFUSED before the policy was installed (written as rollback_failed)',
      { ...base, id: 'rb-old', end: 'REFUSED', refuseAction: 'rollback_failed' },
      [],
      0,
    ],
    ['still running', { ...base, id: 'rb-running', end: null }, [], 0],
    [
      'in staging: shown, not a production failure',
      { ...base, id: 'rb-staging', env: 'staging', end: 'ROLLED_BACK' },
      [`${t(1, 13, 20)} manual_rollback staging v6.0.1→v6.0.0 by @dave req @dave rb-staging`],
      0,
    ],
    [
      'in an environment of its own name',
      { ...base, id: 'rb-qa', env: 'qa', end: 'ROLLED_BACK' },
      [`${t(1, 13, 20)} manual_rollback qa v6.0.1→v6.0.0 by @dave req @dave rb-qa`],
      0,
    ],
    [
      'away from another version',
      { ...base, id: 'rb-other', from: 'v5.9.9', end: 'ROLLED_BACK' },
      [`${t(1, 13, 20)} manual_rollback production v5.9.9→v6.0.0 by @dave req @dave rb-other`],
      0,
    ],
    [
      'requested before the version was promoted',
      { ...base, id: 'rb-early', requestAt: t(1, 8), endAt: t(1, 8, 10), end: 'ROLLED_BACK' },
      [`${t(1, 8, 10)} manual_rollback production v6.0.1→v6.0.0 by @dave req @dave rb-early`],
      0,
    ],
    [
      'ended after the window',
      { ...base, id: 'rb-late', requestAt: t(6, 23, 50), endAt: t(7, 0, 10), end: 'ROLLED_BACK' },
      [`${t(7, 0, 10)} manual_rollback production v6.0.1→v6.0.0 by @dave req @dave rb-late`],
      0,
    ],
  ];
  for (const [name, rollback, shown, failures] of cases)
    it(name, () => {
      const manual = manualRollback(rollback);
      assert.deepEqual(historyEvents(manual).map(line), shown);
      const d = doraFigures([...promotedV601, ...manual], WEEK);
      assert.equal(d.changes, 1);
      assert.equal(d.failures, failures);
      assert.deepEqual(
        d.timeToRestore,
        failures === 1
          ? { samples: 1, medianMs: 20 * MIN, maxMs: 20 * MIN }
          : { samples: 0, medianMs: null, maxMs: null },
      );
    });

  it('a version promoted twice (--again): the rollback is the failure of the later run only', () => {
    const first = new Run('v6.0.1', { runId: 'run-1' }).promoted(0).entries;
    const again = new Run('v6.0.1', { runId: 'run-2' }).promoted(1).entries;
    const rollback = manualRollback({ ...base, id: 'rb-again', end: 'ROLLED_BACK' });
    const d = doraFigures([...first, ...again, ...rollback], WEEK);
    assert.deepEqual([d.changes, d.failures], [2, 1]);
    // From day 0 noon only the later run is a change: the failure is its own.
    const later = doraFigures([...first, ...again, ...rollback], { since: t(0, 12), until: t(7) });
    assert.deepEqual([later.changes, later.failures], [1, 1]);
  });

  it('two rollbacks away from the same run: one failure, restored by the first', () => {
    const first = manualRollback({ ...base, id: 'rb-1', end: 'ROLLED_BACK' });
    const second = manualRollback({ ...base, id: 'rb-2', requestAt: t(2, 9), endAt: t(2, 10), end: 'ROLLED_BACK' });
    const d = doraFigures([...promotedV601, ...second, ...first], WEEK);
    assert.equal(d.failures, 1);
    assert.deepEqual(d.timeToRestore, { samples: 1, medianMs: 20 * MIN, maxMs: 20 * MIN });
  });

  it('a version recorded by hand: shown, never counted; a refused record is not shown', () => {
    const record = recorded('record-production-1', 'production', 'v6.1.0', '@ops', t(2, 8));
    const refused = {
      ...recorded('record-production-2', 'production', 'v6.1.1', '@eve', t(2, 9)),
      action: 'refuse' as const,
      internal_stage: 'REFUSED',
    };
    assert.deepEqual(historyEvents([record, refused]), [
      {
        at: t(2, 8),
        environment: 'production',
        kind: 'recorded',
        version: 'v6.1.0',
        toVersion: null,
        by: '@ops',
        requestedBy: '@ops',
        workflowId: 'record-production-1',
        runId: 'run-record-production-1',
        reason: 'production: v6.1.0 recorded by hand by @ops',
      },
    ]);
    const d = doraFigures([record, refused], WEEK);
    assert.deepEqual([d.deployments, d.changes, d.failures], [0, 0, 0]);
  });
});
