// What a release waits for: an approval deadline that rejects it when nobody decides, and the
// environment queue that keeps two promotions from deploying to production at the same time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { withHarness, type Harness } from '../helpers/release-harness';
import { approveUpdate } from '../../src/shared/messages';
import type { ReleaseResult } from '../../src/shared/release';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});


test('nobody deciding before the approval deadline rejects the release, after reminders', async () => {
  await withHarness(env, { config: { stages: { approval: { deadline: '24h' } } } }, async (h) => {
    const handle = await h.start({ version: 'v8.0.0' });
    const result = (await handle.result()) as ReleaseResult;
    assert.equal(result.outcome, 'REJECTED');
    assert.equal(result.reason, 'nobody approved within the 1d approval deadline');
    const status = await h.status(handle);
    assert.equal(Date.parse(status.approval.deadlineAt!) - Date.parse(status.approval.requestedAt!), 24 * 3_600_000);
    assert.equal(h.notifications.filter((n) => n.kind === 'approval-reminder').length, 23, 'hourly reminders until the deadline');
  });
});

test('a second promotion waits in a visible queue while the first holds production', async () => {
  await withHarness(env, { config: { stages: { staging: { soak: '10m' }, canary: { minDuration: '30m' } } } }, async (h) => {
    const approve = (v: Awaited<ReturnType<Harness['start']>>) => v.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
    const first = await h.start({ version: 'v8.1.0' });
    await h.waitForStage(first, 'STAGING_SOAK');
    await approve(first);
    await env.sleep('15m');
    assert.equal((await h.status(first)).stage, 'CANARY');

    const second = await h.start({ version: 'v8.2.0' });
    await h.waitForStage(second, 'STAGING_SOAK');
    await approve(second);
    await env.sleep('11m');
    const queued = await h.waitForStage(second, 'WAITING_FOR_ENVIRONMENT');
    assert.match(queued.waitingFor ?? '', /production is busy with release-v8\.1\.0 \(standard v8\.1\.0: canary and production rollout\); queued at position 1/);

    assert.equal(((await first.result()) as ReleaseResult).outcome, 'PROMOTED');
    const result = (await second.result()) as ReleaseResult;
    assert.equal(result.outcome, 'PROMOTED');
    const firstDone = await h.status(first);
    const secondStatus = await h.status(second);
    const secondCanary = secondStatus.history.find((t) => t.to === 'CANARY')!;
    const firstEnd = firstDone.history.at(-1)!;
    assert.ok(Date.parse(secondCanary.at) >= Date.parse(firstEnd.at), 'the second canary started only after the first release finished');
    assert.equal(secondStatus.previousProductionVersion, 'v8.1.0');
  });
});
