// What a release waits for: an approval deadline that rejects it when nobody decides, and the
// environment queue that keeps two promotions from deploying to production at the same time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { withHarness, type Harness } from '../helpers/release-harness';
import { approveUpdate, rejectUpdate } from '../../src/shared/messages';
import { environmentRecordsQuery } from '../../src/shared/ledger';
import { environmentWorkflowId } from '../../src/shared/identifiers';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

/**
 * Two approved releases (10 min soak, 30 min canary): the first is in its canary, holding production,
 * when the second finishes its soak and queues for production.
 */
async function queueBehindCanary(h: Harness, firstVersion: string, secondVersion: string) {
  const approve = (v: Awaited<ReturnType<Harness['start']>>) =>
    v.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
  const first = await h.start({ version: firstVersion });
  await h.waitForStage(first, 'STAGING_SOAK');
  await approve(first);
  await env.sleep('15m');
  assert.equal((await h.status(first)).stage, 'CANARY');

  const second = await h.start({ version: secondVersion });
  await h.waitForStage(second, 'STAGING_SOAK');
  await approve(second);
  await env.sleep('11m');
  const queued = await h.waitForStage(second, 'WAITING_FOR_ENVIRONMENT');
  return { first, second, queued };
}

test('nobody deciding before the approval deadline rejects the release, after reminders', async () => {
  await withHarness(env, { config: { stages: { approval: { deadline: '24h' } } } }, async (h) => {
    const handle = await h.start({ version: 'v8.0.0' });
    const result = await handle.result();
    assert.equal(result.outcome, 'REJECTED');
    assert.equal(result.reason, 'nobody approved within the 1d approval deadline');
    const status = await h.status(handle);
    assert.equal(Date.parse(status.approval.deadlineAt!) - Date.parse(status.approval.requestedAt!), 24 * 3_600_000);
    assert.equal(
      h.notifications.filter((n) => n.kind === 'approval-reminder').length,
      23,
      'hourly reminders until the deadline',
    );
  });
});

test('a second promotion waits in a visible queue while the first holds production', async () => {
  await withHarness(
    env,
    { config: { stages: { staging: { soak: '10m' }, canary: { minDuration: '30m' } } } },
    async (h) => {
      const { first, second, queued } = await queueBehindCanary(h, 'v8.1.0', 'v8.2.0');
      assert.match(
        queued.waitingFor ?? '',
        /production is busy with release-v8\.1\.0 \(standard v8\.1\.0: canary and production rollout\); queued at position 1/,
      );

      assert.equal((await first.result()).outcome, 'PROMOTED');
      const result = await second.result();
      assert.equal(result.outcome, 'PROMOTED');
      const firstDone = await h.status(first);
      const secondStatus = await h.status(second);
      const secondCanary = secondStatus.history.find((t) => t.to === 'CANARY')!;
      const firstEnd = firstDone.history.at(-1)!;
      assert.ok(
        Date.parse(secondCanary.at) >= Date.parse(firstEnd.at),
        'the second canary started only after the first release finished',
      );
      assert.equal(secondStatus.previousProductionVersion, 'v8.1.0');
    },
  );
});

test('an approval scheduled for later waits for its time; a rejection meanwhile ends the release', async () => {
  await withHarness(env, {}, async (h) => {
    const scheduled = await h.start({ version: 'v8.3.0' });
    const soaking = await h.waitForStage(scheduled, 'STAGING_SOAK');
    const at = (hours: number) => new Date(Date.parse(soaking.history.at(-1)!.at) + hours * 3_600_000).toISOString();
    await scheduled.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli', notBefore: at(5) }] });
    const result = await scheduled.result();
    assert.equal(result.outcome, 'PROMOTED');
    const canary = (await h.status(scheduled)).history.find((t) => t.to === 'CANARY')!;
    assert.ok(Date.parse(canary.at) >= Date.parse(at(5)), `the canary started at ${canary.at}, not before ${at(5)}`);

    const rejected = await h.start({ version: 'v8.3.1' });
    const soaking2 = await h.waitForStage(rejected, 'STAGING_SOAK');
    const later = new Date(Date.parse(soaking2.history.at(-1)!.at) + 5 * 3_600_000).toISOString();
    await rejected.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli', notBefore: later }] });
    await env.sleep('3h');
    assert.match((await h.status(rejected)).waitingFor ?? '', /the scheduled canary start/);
    await rejected.executeUpdate(rejectUpdate, {
      args: [{ approver: '@carol', channel: 'cli', reason: 'freeze announced' }],
    });
    const ended = await rejected.result();
    assert.equal(ended.outcome, 'REJECTED');
    assert.match(ended.reason, /rejected by @carol via cli: freeze announced/);
    assert.equal((await h.status(rejected)).canary.startedAt, null);
  });
});

test('a rejection while queued for production ends the release and leaves the queue', async () => {
  await withHarness(
    env,
    { config: { stages: { staging: { soak: '10m' }, canary: { minDuration: '30m' } } } },
    async (h) => {
      const { first, second } = await queueBehindCanary(h, 'v8.4.0', 'v8.5.0');
      await second.executeUpdate(rejectUpdate, {
        args: [{ approver: '@carol', channel: 'cli', reason: 'superseded by v8.6.0' }],
      });
      const ended = await second.result();
      assert.equal(ended.outcome, 'REJECTED');
      assert.match(ended.reason, /superseded by v8\.6\.0/);
      assert.equal((await h.status(second)).canary.startedAt, null, 'the rejected release never deployed a canary');
      assert.equal((await first.result()).outcome, 'PROMOTED');
      const ledger = await h.client.workflow
        .getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue))
        .query(environmentRecordsQuery);
      assert.equal(ledger.lease, null);
      assert.deepEqual(ledger.queue, [], 'the rejected release left the queue');
    },
  );
});
