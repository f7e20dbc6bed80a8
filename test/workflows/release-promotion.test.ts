// The release workflow on the time-skipping server with the seed's real durations: a 2-hour staging
// soak and a 30-minute canary, approvals, rejection, gate failure and duplicate starts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import {
  acceptedDecisions,
  approve,
  HOUR,
  MINUTE,
  refusal,
  stageGapMs,
  timerDurationsMs,
  withHarness,
} from '../helpers/release-harness';
import { startRelease } from '../../src/client/start-release';
import { rejectUpdate } from '../../src/shared/messages';
import { environmentRecordsQuery } from '../../src/shared/ledger';
import { environmentWorkflowId } from '../../src/shared/identifiers';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

test('promotes with a 2 h staging soak timer and a 30 min canary, measured on the workflow clock', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await h.start({ version: 'v2.0.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await approve(handle, '@alice');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);

    const status = await h.status(handle);
    const soak = stageGapMs(status, 'STAGING_SOAK', 'CANARY');
    assert.ok(soak >= 2 * HOUR && soak < 2 * HOUR + MINUTE, `soak took ${soak} ms`);
    const canary = stageGapMs(status, 'CANARY', 'PRODUCTION_ROLLOUT');
    assert.ok(canary >= 30 * MINUTE && canary < 31 * MINUTE, `canary took ${canary} ms`);
    assert.equal(status.canary.evaluations.length, 30);
    assert.ok(status.canary.evaluations.every((e) => e.verdict === 'pass'));

    const timers = await timerDurationsMs(handle);
    assert.equal(timers.filter((t) => t === 2 * HOUR).length, 1, 'one 2-hour soak timer');
    assert.equal(timers.filter((t) => t === 30 * MINUTE).length, 1, 'one 30-minute canary timer');
    assert.deepEqual(
      status.history.map((t) => t.to),
      ['DEPLOYING_STAGING', 'STAGING_SOAK', 'CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
    );
    assert.match(result.reason, /✓ api-gateway: v2\.0\.0 \(healthy\)/);

    // Both environments it went through record the version.
    for (const environment of ['staging', 'production']) {
      const records = await h.client.workflow
        .getHandle(environmentWorkflowId(environment, h.config.temporal.taskQueue))
        .query(environmentRecordsQuery);
      assert.equal(records.current?.version, 'v2.0.0', `${environment} records`);
      assert.equal(records.current?.workflowId, handle.workflowId);
    }
  });
});

test('the canary waits for both the soak and the approval', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await h.start({ version: 'v2.1.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await env.sleep(3.5 * HOUR);
    const waiting = await h.status(handle);
    assert.equal(waiting.stage, 'AWAITING_APPROVAL');
    assert.equal(waiting.canary.startedAt, null);
    assert.ok(waiting.soak.completedAt, 'the soak completed');
    assert.ok(
      h.notifications.some((n) => n.kind === 'approval-requested' && n.actions.includes('approve')),
      'approvers were asked',
    );
    assert.ok(
      h.notifications.some((n) => n.kind === 'approval-reminder'),
      'a reminder went out while waiting',
    );

    await approve(handle, '@bob');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED');
    const status = await h.status(handle);
    assert.ok(stageGapMs(status, 'STAGING_SOAK', 'CANARY') >= 3.5 * HOUR, 'the canary started only after the approval');
  });
});

test('an unhealthy staging check restarts the 2-hour clock', async () => {
  await withHarness(env, { scenario: 'unhealthy-staging' }, async (h) => {
    const handle = await h.start({ version: 'v2.2.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await approve(handle, '@alice');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED');
    const status = await h.status(handle);
    // Unhealthy at minutes 30 and 35 of the soak: the last restart is at 35, so the soak ends at 2h35.
    assert.equal(status.soak.restarts, 2);
    const soak = stageGapMs(status, 'STAGING_SOAK', 'CANARY');
    assert.ok(soak >= 2 * HOUR + 35 * MINUTE && soak < 2 * HOUR + 36 * MINUTE, `soak took ${soak / MINUTE} min`);
    const timers = await timerDurationsMs(handle);
    assert.equal(timers.filter((t) => t === 2 * HOUR).length, 3, 'the soak timer was started three times');
  });
});

test('the soak fails when staging cannot stay healthy within the maximum total soak', async () => {
  await withHarness(
    env,
    { scenario: 'unhealthy-staging', config: { stages: { staging: { maxTotalSoak: '2h30m' } } } },
    async (h) => {
      const handle = await h.start({ version: 'v2.2.1' });
      const result = await handle.result();
      assert.equal(result.outcome, 'SOAK_FAILED');
      assert.match(result.reason, /continuous 2h within the 2h30m maximum soak/);
    },
  );
});

test('approvals from a non-approver or from the requester are refused and change nothing', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await h.start({ version: 'v2.3.0', requestedBy: '@alice' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    assert.match(
      await refusal(approve(handle, '@mallory')),
      /@mallory does not hold RELEASE_APPROVER, the role needed to approve a canary promotion/,
    );
    assert.match(
      await refusal(approve(handle, '@alice')),
      /@alice started this release and may not approve it \(separation of duties\)/,
    );
    assert.match(await refusal(approve(handle, 'bob')), /not an identity/);
    const status = await h.status(handle);
    assert.deepEqual(status.approval.approvals, []);
    assert.equal(await acceptedDecisions(handle), 0, 'refused updates leave no trace in history');

    await approve(handle, '@bob');
    assert.match(await refusal(approve(handle, '@bob')), /already approved/);
    await handle.cancel();
    const result = await handle.result();
    assert.equal(result.outcome, 'CANCELLED');
  });
});

test('a rejection ends the release before the canary', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await h.start({ version: 'v2.4.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    assert.match(
      await refusal(
        handle.executeUpdate(rejectUpdate, { args: [{ approver: '@mallory', channel: 'cli', reason: 'no' }] }),
      ),
      /RELEASE_APPROVER/,
    );
    await handle.executeUpdate(rejectUpdate, {
      args: [{ approver: '@carol', channel: 'cli', reason: 'load test numbers look wrong' }],
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'REJECTED');
    assert.match(result.reason, /rejected by @carol via cli: load test numbers look wrong/);
    const status = await h.status(handle);
    assert.equal(status.canary.startedAt, null);
    assert.equal(existsSync(join(h.dir, 'simulated', 'production.json')), false, 'production was never touched');
  });
});

test('a failed dev gate stops the release before staging', async () => {
  await withHarness(env, { scenario: 'failing-gates' }, async (h) => {
    const handle = await h.start({ version: 'v2.5.0' });
    const result = await handle.result();
    assert.equal(result.outcome, 'GATES_FAILED');
    assert.match(result.reason, /unit coverage 72% < 80% required/);
    assert.match(result.reason, /blocking security findings: 1 high/);
    assert.equal(existsSync(join(h.dir, 'simulated', 'staging.json')), false, 'nothing was deployed to staging');
  });
});

test('one promotion per version: a re-run for the same commit starts nothing, another commit is refused, a rejected version starts again', async () => {
  await withHarness(env, {}, async (h) => {
    const first = await h.start({ version: 'v2.6.0' });
    const rerun = await startRelease(h.client, h.config, {
      version: 'v2.6.0',
      commitSha: 'abc1234def5678',
      requestedBy: '@dev',
    });
    assert.equal(rerun.started, false);
    assert.match(
      rerun.message,
      /^v2\.6\.0 is already being promoted from abc1234def56 \(release-v2\.6\.0, (DEV_GATES|DEPLOYING_STAGING|STAGING_SOAK)\); nothing started$/,
    );
    await assert.rejects(
      h.start({ version: 'v2.6.0', commitSha: 'fff1234def5678' }),
      /v2\.6\.0 is already being promoted \(release-v2\.6\.0 is running, from commit abc1234def56\)/,
    );
    // Nor on the other track: a hotfix of a version whose release is running (and the other way round).
    await assert.rejects(
      h.start({ version: 'v2.6.0', kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'] }),
      /v2\.6\.0 is already being promoted \(release-v2\.6\.0 is running/,
    );
    await h.waitForStage(first, 'STAGING_SOAK');
    await first.executeUpdate(rejectUpdate, { args: [{ approver: '@bob', channel: 'cli', reason: 'wrong build' }] });
    assert.equal((await first.result()).outcome, 'REJECTED');
    const hotfix = await h.start({ version: 'v2.6.0', kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'] });
    await assert.rejects(
      h.start({ version: 'v2.6.0', commitSha: 'fff1234def5678' }),
      /v2\.6\.0 is already being promoted \(hotfix-v2\.6\.0 is running/,
    );
    await hotfix.executeUpdate(rejectUpdate, { args: [{ approver: '@bob', channel: 'cli', reason: 'wrong track' }] });
    assert.equal((await hotfix.result()).outcome, 'REJECTED');
    const second = await h.start({ version: 'v2.6.0' });
    assert.notEqual(second.firstExecutionRunId, first.firstExecutionRunId);
    await second.cancel();
  });
});
