// Progressive canary steps on the time-skipping server with the real durations (2 h soak, 30 min per
// step): [10, 25, 50] holds each weight for its minimum and judges it, a breach in step 2 rolls back
// (traffic first), and a pause in step 2 does not count towards it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReleaseHandle } from '../../src/workflow-api';
import { pauseDecisionUpdate } from '../../src/shared/messages';
import type { ReleaseStage, ReleaseStatus } from '../../src/shared/release';
import type { Scenario } from '../../src/shared/scenarios';
import type { SimulatedEnvironmentState } from '../../src/activities/simulated/target';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { scenarioFile as writeScenario, skipUntil as skipUntilStage, startApproved } from '../helpers/canary-harness';
import { MINUTE, stageGapMs, withHarness, type Harness } from '../helpers/release-harness';

const STEPS = { stages: { canary: { steps: [10, 25, 50] } } };

let env: TestWorkflowEnvironment;
let scenarioDir: string;
const skipUntil = (h: Harness, handle: ReleaseHandle, stages: ReleaseStage[]) => skipUntilStage(env, h, handle, stages);
const scenarioFile = (name: string, canary: Scenario['canary']) => writeScenario(scenarioDir, name, canary);

before(async () => {
  env = await createTimeSkippingEnv();
  scenarioDir = mkdtempSync(join(tmpdir(), 'canary-steps-'));
});
after(async () => {
  await env?.teardown();
  if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
});

/** Minutes from the first CANARY transition to each later one (the step changes). */
function stepChanges(status: ReleaseStatus): Array<{ minute: number; reason: string }> {
  const canary = status.history.filter((t) => t.to === 'CANARY');
  const start = Date.parse(canary[0]!.at);
  return canary.slice(1).map((t) => ({ minute: (Date.parse(t.at) - start) / MINUTE, reason: t.reason }));
}

function weightsOfEvaluations(status: ReleaseStatus): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of status.canary.evaluations) counts[String(e.weightPct)] = (counts[String(e.weightPct)] ?? 0) + 1;
  return counts;
}

test('[10, 25, 50] holds each step for its 30 minutes, judged at its own weight: 90 minutes of canary', async () => {
  await withHarness(env, { config: STEPS }, async (h) => {
    const handle = await startApproved(h, 'v5.0.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const status = await h.status(handle);
    const gap = stageGapMs(status, 'CANARY', 'PRODUCTION_ROLLOUT');
    assert.ok(gap >= 90 * MINUTE && gap < 91 * MINUTE, `canary took ${gap / MINUTE} min`);
    const changes = stepChanges(status);
    assert.deepEqual(
      changes.map((c) => Math.floor(c.minute)),
      [30, 60],
    );
    assert.match(changes[0]!.reason, /^canary step 2 of 3: 25% of requests \(production: api-gateway 75\/25, /);
    assert.match(changes[1]!.reason, /^canary step 3 of 3: 50% of requests \(production: api-gateway 50\/50, /);
    // Every evaluation judged the weight of its step (the evaluation that ends a step is its last).
    assert.deepEqual(weightsOfEvaluations(status), { '10': 30, '25': 30, '50': 30 });
    for (const e of status.canary.evaluations)
      for (const svc of e.services ?? [])
        assert.ok(
          Math.abs(svc.observedSharePct! - e.weightPct!) <= e.weightPct! / 2,
          `${svc.service} at ${e.weightPct}%: ${svc.observedSharePct}% of requests`,
        );
    assert.deepEqual(status.canary.step, { index: 3, of: 3, weightPct: 50 });
    assert.equal(status.canary.requiredMs, 90 * MINUTE);
    const metrics = JSON.parse(readFileSync(join(h.dir, 'evidence', 'v5.0.0', 'metrics.json'), 'utf8')) as {
      canary: { steps: number[]; step: unknown };
    };
    // Slack (the notifier) hears of each step with its weights.
    assert.ok(
      h.notifications.some((n) => n.kind === 'stage-changed' && /^canary step 2 of 3: 25% of requests/.test(n.reason)),
      'a stage-changed notification for step 2',
    );
    assert.deepEqual(metrics.canary.steps, [10, 25, 50]);
    assert.deepEqual(metrics.canary.step, { index: 3, of: 3, weightPct: 50 });
  });
});

test('a breach in step 2 rolls back at once, taking the canary traffic away first', async () => {
  const scenario = scenarioFile('errors-in-step-2', [{ fromMinute: 40, errorRatePct: 2.4, availabilityPct: 99.95 }]);
  await withHarness(env, { config: STEPS, scenario }, async (h) => {
    const handle = await startApproved(h, 'v5.1.0');
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(result.reason, /^api-gateway: error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/);
    const status = await h.status(handle);
    const gap = stageGapMs(status, 'CANARY', 'ROLLING_BACK');
    assert.ok(gap >= 40 * MINUTE && gap < 41 * MINUTE, `rolled back after ${gap / MINUTE} min`);
    assert.equal(status.canary.evaluations.at(-1)?.weightPct, 25);
    assert.deepEqual(status.canary.step, { index: 2, of: 3, weightPct: 25 });
    assert.deepEqual(
      status.rollback?.steps.map((s) => s.step),
      ['send no requests to the canary', 'remove the canary', 'confirm the stable version still serves'],
    );
    const production = JSON.parse(
      readFileSync(join(h.dir, 'simulated', 'production.json'), 'utf8'),
    ) as SimulatedEnvironmentState;
    assert.equal(production.canaryDeployedAt, null);
  });
});

test('a pause in step 2 does not count: the step still needs its full 30 minutes after the resume', async () => {
  const scenario = scenarioFile('p99-in-step-2', [{ fromMinute: 35, untilMinute: 50, p99Ms: 230 }]);
  await withHarness(env, { config: STEPS, scenario }, async (h) => {
    const handle = await startApproved(h, 'v5.2.0');
    const paused = await skipUntil(h, handle, ['CANARY_PAUSED']);
    assert.deepEqual(paused.canary.step, { index: 2, of: 3, weightPct: 25 });
    const atPause = paused.canary.elapsedMs;
    assert.ok(atPause >= 35 * MINUTE && atPause < 36 * MINUTE, `elapsed at pause ${atPause / MINUTE} min`);
    await env.sleep(45 * MINUTE);
    const still = await h.status(handle);
    assert.equal(still.stage, 'CANARY_PAUSED');
    assert.equal(still.canary.elapsedMs, atPause, '45 minutes of pause added nothing');
    await handle.executeUpdate(pauseDecisionUpdate, {
      args: [{ approver: '@bob', channel: 'cli', decision: 'resume', reason: 'P99 recovered' }],
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const status = await h.status(handle);
    const pausedAt = Date.parse(status.history.find((t) => t.to === 'CANARY_PAUSED')!.at);
    const resumedAt = Date.parse(
      status.history.filter(
        (t) => t.at > status.history.find((x) => x.to === 'CANARY_PAUSED')!.at && t.to === 'CANARY',
      )[0]!.at,
    );
    const pausedMs = resumedAt - pausedAt;
    const gap = stageGapMs(status, 'CANARY', 'PRODUCTION_ROLLOUT');
    // 90 minutes of canary time plus the pause, to the minute.
    assert.ok(
      gap - pausedMs >= 90 * MINUTE && gap - pausedMs < 91 * MINUTE,
      `canary ${gap / MINUTE} min with ${pausedMs / MINUTE} min paused`,
    );
    assert.ok(status.canary.elapsedMs >= 90 * MINUTE && status.canary.elapsedMs < 91 * MINUTE);
    assert.deepEqual(
      stepChanges(status)
        .filter((c) => c.reason.startsWith('canary step'))
        .map((c) => c.reason.slice(0, 19)),
      ['canary step 2 of 3:', 'canary step 3 of 3:'],
    );
  });
});

test('a pause in step 3 rolled back by a person takes the canary traffic away first', async () => {
  const scenario = scenarioFile('p99-in-step-3', [{ fromMinute: 65, p99Ms: 230 }]);
  await withHarness(env, { config: STEPS, scenario }, async (h) => {
    const handle = await startApproved(h, 'v5.3.0');
    const paused = await skipUntil(h, handle, ['CANARY_PAUSED']);
    assert.deepEqual(paused.canary.step, { index: 3, of: 3, weightPct: 50 });
    await handle.executeUpdate(pauseDecisionUpdate, {
      args: [{ approver: '@bob', channel: 'slack', decision: 'rollback', reason: 'P99 at 50% is too slow' }],
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(result.reason, /^rollback decided by @bob while paused \(api-gateway: P99 230 ms/);
    const status = await h.status(handle);
    assert.deepEqual(
      status.rollback?.steps.map((s) => s.step),
      ['send no requests to the canary', 'remove the canary', 'confirm the stable version still serves'],
    );
    assert.deepEqual(
      status.canary.weights?.map((w) => w.canary),
      [0, 0, 0],
    );
  });
});
