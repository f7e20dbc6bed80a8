// The canary stage on the time-skipping server with the default durations (2 h soak, 30 min canary,
// 1 min analysis): promotion, automatic rollback on hard gates, pauses on P99 regressions and
// inconclusive metrics (with human resume/rollback decisions), production rollout failure,
// cancellation mid-canary and a compensation that fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseHandle } from '../../src/workflow-api';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { scenarioFile as writeScenario, skipUntil as skipUntilStage, startApproved } from '../helpers/canary-harness';
import {
  HOUR,
  MINUTE,
  refusal,
  stageGapMs,
  timerDurationsMs,
  withHarness,
  type Harness,
} from '../helpers/release-harness';
import { pauseDecisionUpdate, type PauseDecisionRequest } from '../../src/shared/messages';
import type { ReleaseResult, ReleaseStage, ReleaseStatus } from '../../src/shared/release';
import type { AuditEntry } from '../../src/shared/audit';
import { environmentRecordsQuery, recordVersionUpdate } from '../../src/shared/ledger';
import { parseConfig } from '../../src/config/load';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import type { SimulatedEnvironmentState } from '../../src/activities/simulated/target';
import type { Scenario } from '../../src/shared/scenarios';

const SERVICES = ['api-gateway', 'orchestrator', 'workers'];

let env: TestWorkflowEnvironment;
let scenarioDir: string;
const skipUntil = (h: Harness, handle: ReleaseHandle, stages: ReleaseStage[]) =>
  skipUntilStage(env, h, handle, stages, { maxMs: 2 * HOUR });
const scenarioFile = (name: string, canary: Scenario['canary']) => writeScenario(scenarioDir, name, canary);

before(async () => {
  env = await createTimeSkippingEnv();
  scenarioDir = mkdtempSync(join(tmpdir(), 'canary-scenarios-'));
});
after(async () => {
  await env?.teardown();
  if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
});

/** Starts a release and approves it during the soak, so the canary starts right after the 2 h soak. */

const decide = (handle: ReleaseHandle, approver: string, decision: PauseDecisionRequest['decision'], reason?: string) =>
  handle.executeUpdate(pauseDecisionUpdate, { args: [{ approver, channel: 'cli', decision, reason: reason ?? null }] });

function productionState(h: Harness): SimulatedEnvironmentState {
  return JSON.parse(readFileSync(join(h.dir, 'simulated', 'production.json'), 'utf8')) as SimulatedEnvironmentState;
}

function auditTrail(h: Harness, version: string): AuditEntry[] {
  return readFileSync(join(h.dir, 'audit', `${version}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEntry);
}

/** The canary is gone, every service runs `version` as stable, and both undo steps succeeded. */
function assertStableRestored(h: Harness, status: ReleaseStatus, version = 'v1.0.0'): void {
  const state = productionState(h);
  for (const name of SERVICES)
    assert.deepEqual(state.services[name], { stable: version, canary: null }, `${name} in production`);
  assert.equal(state.canaryDeployedAt, null);
  const steps = status.rollback?.steps ?? [];
  assert.ok(steps.length > 0 && steps.every((s) => s.ok), `rollback steps: ${JSON.stringify(steps)}`);
  const confirm = steps.find((s) => s.step === 'confirm the stable version still serves');
  assert.ok(confirm, 'the stable version was verified');
  for (const name of SERVICES) assert.ok(confirm.detail.includes(`✓ ${name}: ${version} (healthy)`), confirm.detail);
}

const stages = (s: ReleaseStatus) => s.history.map((t) => t.to);

function assertGapMinutes(status: ReleaseStatus, from: ReleaseStage, to: ReleaseStage, min: number, max: number): void {
  const gap = stageGapMs(status, from, to);
  assert.ok(
    gap >= min * MINUTE && gap < max * MINUTE,
    `${from} → ${to} took ${(gap / MINUTE).toFixed(3)} min; expected [${min}, ${max})`,
  );
}

test('a healthy canary is promoted after exactly its 30 minutes', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await startApproved(h, 'v3.0.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const status = await h.status(handle);
    assertGapMinutes(status, 'CANARY', 'PRODUCTION_ROLLOUT', 30, 31);
    assert.ok(
      status.canary.elapsedMs >= 30 * MINUTE && status.canary.elapsedMs < 31 * MINUTE,
      `elapsed ${status.canary.elapsedMs}`,
    );
    assert.equal(status.canary.evaluations.length, 30);
    assert.ok(status.canary.evaluations.every((e) => e.verdict === 'pass'));
    assert.equal(status.rollback, null);
    const state = productionState(h);
    for (const name of SERVICES) assert.deepEqual(state.services[name], { stable: 'v3.0.0', canary: null });
  });
});

test('an error-rate breach at minute 12 rolls back at minute 12, restores v1.0.0 and is audited', async () => {
  await withHarness(env, { scenario: 'error-rate-regression' }, async (h) => {
    const handle = await startApproved(h, 'v3.1.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(result.reason, /^api-gateway: error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/);
    assert.match(result.reason, /v1\.0\.0 still serves production$/);

    const status = await h.status(handle);
    assertGapMinutes(status, 'CANARY', 'ROLLING_BACK', 12, 13);
    assert.deepEqual(stages(status).slice(-3), ['CANARY', 'ROLLING_BACK', 'ROLLED_BACK']);
    assert.equal(status.canary.evaluations.length, 12);
    assert.ok(
      status.canary.evaluations.slice(0, 11).every((e) => e.verdict === 'pass'),
      'minutes 1–11 passed',
    );
    assert.equal(status.canary.evaluations.at(-1)?.verdict, 'rollback');
    assert.equal(status.previousProductionVersion, 'v1.0.0');
    assert.deepEqual(
      status.rollback?.steps.map((s) => s.step),
      ['send no requests to the canary', 'remove the canary', 'confirm the stable version still serves'],
    );
    // Traffic leaves the canary first, before its pods are removed.
    assert.equal(status.rollback?.steps[0]?.detail, 'production: api-gateway 100/0, orchestrator 100/0, workers 100/0');
    assertStableRestored(h, status);

    const trail = auditTrail(h, 'v3.1.0');
    const rollback = trail.find((e) => e.action === 'rollback');
    assert.ok(rollback, `audit actions: ${trail.map((e) => e.action).join(', ')}`);
    assert.match(rollback.reason, /error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/);
    // The seed's stage words, the internal stage beside them, the versions in fields of their own.
    assert.deepEqual(
      [rollback.from_stage, rollback.to_stage, rollback.internal_stage],
      ['canary', 'canary', 'ROLLING_BACK'],
    );
    assert.deepEqual([rollback.from_version, rollback.to_version], ['v3.1.0', 'v1.0.0']);
    assert.equal(rollback.commit_sha, 'abc1234def5678');
    assert.equal(trail.at(-1)?.action, 'finish');
    assert.deepEqual([trail.at(-1)?.to_stage, trail.at(-1)?.internal_stage], ['canary', 'ROLLED_BACK']);
    assert.ok(h.notifications.some((n) => n.kind === 'rollback-started' && n.reason.includes('2.1 pp')));
  });
});

for (const c of [
  {
    scenario: 'availability-regression',
    version: 'v3.2.0',
    minute: 7,
    reason: /^api-gateway: availability 99\.5% < 99\.9%/,
  },
  {
    scenario: 'unhealthy-canary',
    version: 'v3.2.1',
    minute: 8,
    reason: /^health check failed: orchestrator \(readiness probe failing: 0\/1 ready\)/,
  },
]) {
  test(`${c.scenario} rolls back at minute ${c.minute} with the matching reason`, async () => {
    await withHarness(env, { scenario: c.scenario }, async (h) => {
      const handle = await startApproved(h, c.version);
      const result = await handle.result();
      assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
      assert.match(result.reason, c.reason);
      const status = await h.status(handle);
      assertGapMinutes(status, 'CANARY', 'ROLLING_BACK', c.minute, c.minute + 1);
      assertStableRestored(h, status);
    });
  });
}

test('a P99 regression pauses the canary; only an approver may resume it, and paused time does not count', async () => {
  // P99 +28% from minute 5 until minute 10, healthy again afterwards.
  const scenario = scenarioFile('p99-recovers', [{ fromMinute: 5, untilMinute: 10, p99Ms: 230 }]);
  await withHarness(env, { scenario }, async (h) => {
    const handle = await startApproved(h, 'v3.3.0');
    const paused = await skipUntil(h, handle, ['CANARY_PAUSED']);
    assertGapMinutes(paused, 'CANARY', 'CANARY_PAUSED', 5, 6);
    assert.match(paused.canary.paused?.reason ?? '', /^api-gateway: P99 230 ms vs baseline 180 ms: \+27\.78% ≥ 10%/);
    assert.equal(paused.canary.endsAt, null, 'no end while paused');
    const atPause = paused.canary.elapsedMs;
    assert.ok(atPause >= 5 * MINUTE && atPause < 6 * MINUTE, `elapsed at pause ${atPause}`);
    const notice = h.notifications.find((n) => n.kind === 'canary-paused');
    assert.ok(notice, 'a canary-paused notification went out');
    assert.deepEqual(notice.actions, ['resume', 'rollback']);
    assert.match(notice.reason, /P99 230 ms/);

    assert.match(
      await refusal(decide(handle, '@mallory', 'resume')),
      /@mallory does not hold RELEASE_APPROVER, the role needed to resume a paused canary/,
    );

    await env.sleep(45 * MINUTE);
    const stillPaused = await h.status(handle);
    assert.equal(stillPaused.stage, 'CANARY_PAUSED');
    assert.equal(stillPaused.canary.elapsedMs, atPause, '45 minutes of pause added nothing to the canary time');
    assert.ok(
      h.notifications.some((n) => n.kind === 'pause-reminder'),
      'reminders while paused',
    );

    const ack = await decide(handle, '@bob', 'resume', 'P99 recovered after the cache warmed');
    assert.match(ack.message, /paused time does not count/);
    // A second decision right behind the first is refused: one pause, one decision.
    assert.match(
      await refusal(decide(handle, '@carol', 'rollback', 'too late')),
      /@bob has already decided: resume|the canary is not paused/,
    );
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);

    const status = await h.status(handle);
    assert.deepEqual(stages(status).slice(2), ['CANARY', 'CANARY_PAUSED', 'CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED']);
    const pausedAt = status.history.find((t) => t.to === 'CANARY_PAUSED')!;
    const resumedAt = status.history.filter((t) => t.to === 'CANARY').at(-1)!;
    assert.match(resumedAt.reason, /^resume by @bob via cli: P99 recovered after the cache warmed; /);
    const pausedMs = Date.parse(resumedAt.at) - Date.parse(pausedAt.at);
    assert.ok(pausedMs >= 45 * MINUTE, `paused for ${pausedMs / MINUTE} min`);
    const total = stageGapMs(status, 'CANARY', 'PRODUCTION_ROLLOUT');
    assert.ok(
      total >= 30 * MINUTE + pausedMs && total < 31 * MINUTE + pausedMs,
      `canary took ${total / MINUTE} min with ${pausedMs / MINUTE} min paused`,
    );
    assert.ok(
      status.canary.elapsedMs >= 30 * MINUTE && status.canary.elapsedMs < 31 * MINUTE,
      `counted ${status.canary.elapsedMs / MINUTE} min`,
    );
    const duringPause = status.canary.evaluations.filter(
      (e) => Date.parse(e.at) > Date.parse(pausedAt.at) && Date.parse(e.at) < Date.parse(resumedAt.at),
    );
    assert.ok(duringPause.length >= 44, `${duringPause.length} evaluations while paused`);
    assert.ok(
      duringPause.every((e) => e.canaryElapsedMs === atPause),
      'the canary clock stood still while paused',
    );

    // The canary timer ran 30 min until the pause; after the resume a new one runs only for what was left.
    const timers = await timerDurationsMs(handle);
    assert.equal(timers.filter((t) => t === 30 * MINUTE).length, 1);
    assert.equal(timers.filter((t) => t === 30 * MINUTE - atPause).length, 1, `timers: ${timers.join(', ')}`);
    assert.ok(status.approval.approvals.some((a) => a.approver === '@bob' && a.subject === 'resume'));
    const trail = auditTrail(h, 'v3.3.0');
    assert.ok(
      trail.some((e) => e.action === 'pause' && e.to_stage === 'canary' && e.internal_stage === 'CANARY_PAUSED'),
    );
    assert.ok(
      trail.some((e) => e.action === 'resume' && e.approved_by === '@bob' && e.reason.includes('P99 recovered')),
    );
  });
});

test('a rollback decision on a paused canary rolls back, naming the decider', async () => {
  await withHarness(env, { scenario: 'latency-regression' }, async (h) => {
    const handle = await startApproved(h, 'v3.4.0');
    await skipUntil(h, handle, ['CANARY_PAUSED']);
    await decide(handle, '@carol', 'rollback', 'P99 too high for checkout');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(
      result.reason,
      /^rollback decided by @carol while paused \(api-gateway: P99 230 ms vs baseline 180 ms: .*\): P99 too high for checkout/,
    );
    const status = await h.status(handle);
    assertStableRestored(h, status);
    const trail = auditTrail(h, 'v3.4.0');
    assert.ok(
      trail.some(
        (e) =>
          e.action === 'rollback' &&
          e.approved_by === '@carol' &&
          e.from_stage === 'canary' &&
          e.internal_stage === 'CANARY_PAUSED',
      ),
    );
  });
});

test('a pause nobody decides on rolls back at the pause deadline (default 24h), saying so', async () => {
  assert.equal(parseConfig({}, 'defaults').stages.canary.pauseDeadline, 24 * HOUR);
  await withHarness(
    env,
    { scenario: 'latency-regression', config: { stages: { canary: { pauseDeadline: '2h' } } } },
    async (h) => {
      const handle = await startApproved(h, 'v3.4.1');
      await skipUntil(h, handle, ['CANARY_PAUSED']);
      const result = await handle.result();
      assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
      assert.match(
        result.reason,
        /^nobody decided within 2h of the pause \(api-gateway: P99 230 ms vs baseline 180 ms: /,
      );
      const status = await h.status(handle);
      assertGapMinutes(status, 'CANARY_PAUSED', 'ROLLING_BACK', 120, 121);
      assert.ok(
        h.notifications.filter((n) => n.kind === 'pause-reminder').length >= 7,
        'reminded every 15 min meanwhile',
      );
      assertStableRestored(h, status);
    },
  );
});

test('hard gates still roll back a paused canary', async () => {
  const scenario = scenarioFile('p99-then-errors', [
    { fromMinute: 5, p99Ms: 230 },
    { fromMinute: 20, errorRatePct: 2.4 },
  ]);
  await withHarness(env, { scenario }, async (h) => {
    const handle = await startApproved(h, 'v3.5.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(result.reason, /^api-gateway: error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/);
    const status = await h.status(handle);
    assert.deepEqual(stages(status).slice(-4), ['CANARY', 'CANARY_PAUSED', 'ROLLING_BACK', 'ROLLED_BACK']);
    assertGapMinutes(status, 'CANARY', 'CANARY_PAUSED', 5, 6);
    assertGapMinutes(status, 'CANARY', 'ROLLING_BACK', 20, 21);
    assertStableRestored(h, status);
  });
});

for (const c of [
  { scenario: 'no-data', version: 'v3.6.0', why: /no canary traffic data/, end: 'rollback' },
  {
    scenario: 'low-traffic',
    version: 'v3.6.1',
    why: /too little canary traffic: 12 requests < 100 minimum/,
    end: 'cancel',
  },
  {
    scenario: 'query-errors',
    version: 'v3.6.2',
    why: /canary metrics query failed: metrics backend returned HTTP 503/,
    end: 'resume',
  },
] as const) {
  test(`${c.scenario}: never a pass, pauses after 3 inconclusive evaluations and never rolls back on its own`, async () => {
    await withHarness(env, { scenario: c.scenario }, async (h) => {
      const handle = await startApproved(h, c.version);
      const paused = await skipUntil(h, handle, ['CANARY_PAUSED', 'ROLLING_BACK', 'PRODUCTION_ROLLOUT']);
      assert.equal(paused.stage, 'CANARY_PAUSED');
      assertGapMinutes(paused, 'CANARY', 'CANARY_PAUSED', 3, 4);
      assert.match(paused.canary.paused?.reason ?? '', /^3 inconclusive evaluations in a row \(limit 3\): /);
      assert.match(paused.canary.paused?.reason ?? '', c.why);
      assert.ok(
        h.notifications.some(
          (n) => n.kind === 'canary-paused' && n.actions.includes('resume') && n.actions.includes('rollback'),
        ),
      );

      await env.sleep(40 * MINUTE);
      const later = await h.status(handle);
      assert.equal(later.stage, 'CANARY_PAUSED');
      assert.ok(later.canary.evaluations.length >= 40, `${later.canary.evaluations.length} evaluations`);
      assert.ok(
        later.canary.evaluations.every((e) => e.verdict === 'inconclusive'),
        'never a pass, never a breach',
      );
      assert.ok(!stages(later).includes('ROLLING_BACK'));

      let result: ReleaseResult;
      if (c.end === 'rollback') {
        await decide(handle, '@bob', 'rollback', 'no metrics, no promotion');
        result = await handle.result();
        assert.equal(result.outcome, 'ROLLED_BACK');
        assert.match(result.reason, /^rollback decided by @bob while paused \(3 inconclusive evaluations/);
      } else {
        if (c.end === 'resume') {
          // Resuming does not turn missing data into a pass: three more and it pauses again.
          await decide(handle, '@bob', 'resume');
          await skipUntil(h, handle, ['CANARY']);
          const again = await skipUntil(h, handle, ['CANARY_PAUSED']);
          assert.equal(stages(again).filter((st) => st === 'CANARY_PAUSED').length, 2);
          assert.ok(again.canary.evaluations.every((e) => e.verdict === 'inconclusive'));
        }
        await handle.cancel();
        result = await handle.result();
        assert.equal(result.outcome, 'CANCELLED', result.reason);
      }
      assertStableRestored(h, await h.status(handle));
    });
  });
}

test('a failed production rollout restores and verifies the previous version', async () => {
  await withHarness(env, { scenario: 'production-rollout-failure' }, async (h) => {
    const handle = await startApproved(h, 'v3.7.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(
      result.reason,
      /^PRODUCTION_ROLLOUT failed: rollout of api-gateway to v3\.7\.0 in production exceeded its progress deadline/,
    );
    assert.match(result.reason, /v1\.0\.0 still serves production$/);
    const status = await h.status(handle);
    assert.deepEqual(stages(status).slice(-3), ['PRODUCTION_ROLLOUT', 'ROLLING_BACK', 'ROLLED_BACK']);
    assert.deepEqual(
      status.rollback?.steps.map((s) => s.step),
      [
        'restore v1.0.0 in production',
        'send no requests to the canary',
        'remove the canary',
        'confirm the stable version still serves',
      ],
    );
    assert.equal(status.rollback?.steps[0]?.detail, 'v1.0.0 redeployed to production');
    // Verified once the canary is gone as well: every service on v1.0.0, nothing beside it.
    const confirm = status.rollback?.steps[3];
    assert.ok(confirm?.ok && confirm.detail.includes('✓ workers: v1.0.0 (healthy)'), confirm?.detail);
    assertStableRestored(h, status);
  });
});

test('cancelling mid-canary removes the canary and verifies the stable version', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await startApproved(h, 'v3.8.0');
    await skipUntil(h, handle, ['CANARY']);
    await env.sleep(10 * MINUTE);
    await handle.cancel();
    const result = await handle.result();
    assert.equal(result.outcome, 'CANCELLED', result.reason);
    assert.match(result.reason, /^cancelled during CANARY; v1\.0\.0 still serves production$/);
    const status = await h.status(handle);
    assertGapMinutes(status, 'CANARY', 'ROLLING_BACK', 10, 12);
    assert.deepEqual(
      status.rollback?.steps.map((s) => s.step),
      ['send no requests to the canary', 'remove the canary', 'confirm the stable version still serves'],
    );
    assertStableRestored(h, status);
    const trail = auditTrail(h, 'v3.8.0');
    assert.ok(trail.some((e) => e.action === 'cancel' && e.from_stage === 'canary' && e.internal_stage === 'CANARY'));
    assert.ok(trail.some((e) => e.action === 'rollback' && e.reason === 'cancelled during CANARY'));
  });
});

test('a compensation that fails ends ROLLBACK_FAILED, visible in the status query', async () => {
  await withHarness(env, { scenario: 'rollback-failure' }, async (h) => {
    const handle = await startApproved(h, 'v3.9.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLBACK_FAILED', result.reason);
    const status = await h.status(handle);
    assert.equal(status.stage, 'ROLLBACK_FAILED');
    assert.equal(status.outcome, 'ROLLBACK_FAILED');
    assert.match(
      status.outcomeReason ?? '',
      /^api-gateway: error rate 2\.4% vs baseline 0\.3%: .*; rollback incomplete, operator action needed: remove the canary: could not remove the canary in production/,
    );
    assertGapMinutes(status, 'CANARY', 'ROLLING_BACK', 3, 4);
    const removal = status.rollback?.steps.find((s) => s.step === 'remove the canary');
    assert.equal(removal?.ok, false);
    assert.match(removal?.detail ?? '', /the API refused the delete/);
    assert.ok(status.rollback?.steps.some((s) => s.ok === false));
    assert.equal(productionState(h).services.orchestrator?.canary, 'v3.9.0', 'the canary is still there, as reported');
    assert.ok(auditTrail(h, 'v3.9.0').some((e) => e.action === 'rollback_failed'));

    // Production is blocked: the next release waits instead of deploying over the leftover canary.
    const ledger = h.client.workflow.getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue));
    const blocked = (await ledger.query(environmentRecordsQuery)).blocked;
    assert.equal(blocked?.workflowId, 'release-v3.9.0');
    assert.match(blocked?.reason ?? '', /^v3\.9\.0 ended ROLLBACK_FAILED: /);
    const next = await startApproved(h, 'v3.9.1');
    const waiting = await skipUntil(h, next, ['WAITING_FOR_ENVIRONMENT']);
    assert.match(
      waiting.waitingFor ?? '',
      /production is busy with release-v3\.9\.0 \(blocked: v3\.9\.0 ended ROLLBACK_FAILED: .*a rollback must repair it first\)/,
    );
    await env.sleep(HOUR);
    assert.equal((await h.status(next)).stage, 'WAITING_FOR_ENVIRONMENT', 'still waiting an hour later');

    // A person repairs production by hand and records what runs (update-sot): the queue moves on.
    await ledger.executeUpdate(recordVersionUpdate, {
      args: [
        {
          version: 'v1.0.0',
          promotedBy: '@oncall',
          promotedAt: new Date().toISOString(),
          action: 'manual',
          workflowId: null,
        },
      ],
    });
    assert.equal((await ledger.query(environmentRecordsQuery)).blocked, null);
    await h.waitForStage(next, 'CANARY');
    await next.terminate('test over');
  });
});
