// The policy a release is judged by is the one its worker supplied when it started, recorded in its
// history: a worker with another config (a changed policy rolled out) does not change it, and the
// starter's input cannot carry one. On the dev server: the workers are replaced under a running
// release, which the time-skipping server's sticky queues do not model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { createHarness, refusal } from '../helpers/release-harness';
import { admissionUpdate, approveUpdate, statusQuery } from '../../src/shared/messages';
import { parseConfig, releasePolicy } from '../../src/config/load';
import { policyDigest } from '../../src/config/policy-digest';
import { ReleasePromotion, startWorkflow } from '../../src/workflow-api';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createDevEnv();
});
after(async () => {
  await env?.teardown();
});

test('a running release keeps the policy it started with when the workers roll to another one', async () => {
  const taskQueue = `policy-roll-${Date.now()}`;
  const before = await createHarness(env, {
    taskQueue,
    config: { roles: { RELEASE_APPROVER: ['@alice'] }, stages: { staging: { soak: '10m' } } },
  });
  // The first worker starts the release and stops; the release sleeps in its soak meanwhile.
  const handle = await before.worker.runUntil(async () => {
    const h = await before.start({ version: 'v7.0.0' });
    await before.waitForStage(h, 'STAGING_SOAK');
    return h;
  });
  const after = await createHarness(env, {
    taskQueue,
    config: { roles: { RELEASE_APPROVER: ['@bob'] }, stages: { staging: { soak: '30m' } } },
  });
  try {
    await after.worker.runUntil(async () => {
      const status = await handle.query(statusQuery);
      assert.equal(status.policyDigest, policyDigest(releasePolicy(before.config, 'default')));
      assert.deepEqual(status.policy.access.roles.RELEASE_APPROVER, ['@alice']);
      assert.equal(status.policy.soak.durationMs, 10 * 60_000);
      assert.match(
        await refusal(handle.executeUpdate(approveUpdate, { args: [{ approver: '@bob', channel: 'cli' }] })),
        /@bob does not hold RELEASE_APPROVER/,
      );
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      assert.deepEqual(
        (await handle.query(statusQuery)).approval.approvals.map((a) => a.approver),
        ['@alice'],
      );
      await handle.terminate('test finished');
      // A release started now, on the rolled workers, has the new policy.
      const next = await after.start({ version: 'v7.1.0' });
      assert.deepEqual((await next.query(statusQuery)).policy.access.roles.RELEASE_APPROVER, ['@bob']);
      await next.terminate('test finished');
    });
  } finally {
    await after.cleanup();
    await before.cleanup();
  }
});

test('a policy in the start input (as a client of earlier code would send) is ignored: the installation decides', async () => {
  const h = await createHarness(env, { config: { roles: { RELEASE_APPROVER: ['@alice'] } } });
  try {
    await h.worker.runUntil(async () => {
      const mine = releasePolicy(parseConfig({ roles: { RELEASE_APPROVER: ['@mallory'] } }, 'mine'), 'default');
      const { approval, access: _access, environments: _environments, ...rest } = mine;
      const handle = await startWorkflow(h.client, ReleasePromotion, {
        workflowId: 'release-v7.2.0',
        taskQueue: h.config.temporal.taskQueue,
        args: [
          {
            kind: 'standard',
            version: 'v7.2.0',
            commitSha: 'abc1234',
            requestedBy: '@dev',
            ciRunId: null,
            policy: { ...rest, approval: { ...approval, approvers: ['@mallory'] } },
          },
        ],
      });
      const admitted = await handle.executeUpdate(admissionUpdate);
      assert.deepEqual(admitted.policy.access.roles.RELEASE_APPROVER, ['@alice']);
      const status = await handle.query(statusQuery);
      assert.deepEqual(status.policy.access.roles.RELEASE_APPROVER, ['@alice']);
      assert.match(
        await refusal(handle.executeUpdate(approveUpdate, { args: [{ approver: '@mallory', channel: 'cli' }] })),
        /@mallory does not hold RELEASE_APPROVER/,
      );
      await handle.terminate('test finished');
    });
  } finally {
    await h.cleanup();
  }
});
