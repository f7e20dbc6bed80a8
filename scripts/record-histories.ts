// Records the event histories the replay test checks every workflow change against. Run it when a
// workflow's behaviour changes (and the change is patched):
//   node --import tsx scripts/record-histories.ts <generation>
// writes test/histories/<generation>/*.binpb. Earlier generations stay: releases recorded by earlier
// code may still be running when the workers are upgraded, so the new code must replay them too.
// Each history is one representative run on the time-skipping server (short policy durations keep the
// files small; the code paths are the production ones).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createTimeSkippingEnv } from '../test/helpers/temporal-env';
import { createHarness, type Harness } from '../test/helpers/release-harness';
import {
  approveUpdate,
  cancelUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  requestCanaryUpdate,
} from '../src/shared/messages';
import { recordVersionByHand, startManualRollback } from '../src/client/start-rollback';
import { environmentWorkflowId } from '../src/shared/identifiers';
import { eventually } from '../test/helpers/eventually';

const generation = process.argv[2];
if (!generation || !/^[a-z0-9-]+$/.test(generation)) {
  console.error(
    'usage: node --import tsx scripts/record-histories.ts <generation>   (a name like installation-policy)',
  );
  process.exit(2);
}
const OUT = join(__dirname, '..', 'test', 'histories', generation);
const SHORT = { stages: { staging: { soak: '10m' }, canary: { minDuration: '15m' } } };

async function save(name: string, handle: WorkflowHandle): Promise<void> {
  writeFileSync(
    join(OUT, `${name}.binpb`),
    temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish(),
  );
  console.log(`recorded ${name}`);
}

async function promote(h: Harness, version: string): Promise<WorkflowHandle> {
  const handle = await h.start({ version });
  await h.waitForStage(handle, 'STAGING_SOAK');
  await handle.executeUpdate(requestCanaryUpdate, { args: [{ requestedBy: '@dev', channel: 'cli' }] });
  await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
  await handle.result();
  return handle;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const env = await createTimeSkippingEnv();
  const run = async (scenario: string, fn: (h: Harness) => Promise<void>, config: Record<string, unknown> = SHORT) => {
    const h = await createHarness(env, { scenario, config });
    try {
      await h.worker.runUntil(fn(h));
    } finally {
      await h.cleanup();
    }
  };
  try {
    await run('healthy', async (h) => {
      await save('release-promoted', await promote(h, 'v1.1.0'));
      await promote(h, 'v1.2.0');
      const rollback = await startManualRollback(h.client, h.config, {
        environment: 'production',
        requestedBy: '@oncall',
      });
      await rollback.handle.result();
      await save('manual-rollback', rollback.handle);
      const recorded = await recordVersionByHand(h.client, h.config, {
        environment: 'production',
        version: 'v1.1.0',
        promotedBy: '@oncall',
        promotedAt: new Date().toISOString(),
      });
      await save('manual-version-record', h.client.workflow.getHandle(recorded.workflowId));
      await save(
        'environment-ledger',
        h.client.workflow.getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue)),
      );
    });
    await run('error-rate-regression', async (h) => save('release-rolled-back', await promote(h, 'v1.3.0')));
    await run('healthy', async (h) => {
      const handle = await h.start({ version: 'v1.4.0' });
      await h.waitForStage(handle, 'STAGING_SOAK');
      await handle.executeUpdate(rejectUpdate, {
        args: [{ approver: '@bob', channel: 'slack', reason: 'wrong build' }],
      });
      await handle.result();
      await save('release-rejected', handle);
    });
    await run('latency-regression', async (h) => {
      const handle = await h.start({ version: 'v1.5.0' });
      await h.waitForStage(handle, 'STAGING_SOAK');
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      await env.sleep('2h');
      await h.waitForStage(handle, 'CANARY_PAUSED');
      await handle.executeUpdate(pauseDecisionUpdate, {
        args: [{ approver: '@bob', channel: 'cli', decision: 'rollback', reason: 'P99 regression confirmed' }],
      });
      await handle.result();
      await save('release-paused-then-rolled-back', handle);
    });
    await run('healthy', async (h) => {
      const handle = await h.start({ version: 'v1.6.0', kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'] });
      await h.waitForStage(handle, 'AWAITING_APPROVAL');
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@bob', channel: 'slack' }] });
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      await handle.result();
      await save('hotfix-promoted', handle);
    });
    await run('healthy', async (h) => {
      const handle = await h.start({ version: 'v1.7.0' });
      await h.waitForStage(handle, 'STAGING_SOAK');
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      await env.sleep('15m');
      await h.waitForStage(handle, 'CANARY');
      await handle.cancel();
      await handle.result().catch(() => undefined);
      await save('release-cancelled-in-canary', handle);
    });
    // Progressive steps (recorded from the canary-traffic-routing generation on).
    await run('healthy', async (h) => save('release-stepped', await promote(h, 'v2.0.0')), {
      stages: { staging: { soak: '10m' }, canary: { minDuration: '15m', steps: [10, 25, 50] } },
    });
    await run('healthy', async (h) => {
      // Cancelled by a person through the cancel update (authorized by the policy), during the soak.
      const handle = await h.start({ version: 'v1.8.0' });
      await h.waitForStage(handle, 'STAGING_SOAK');
      // Once the staging suites have reported: the time-skipping server refuses a cancel request for an
      // activity that completed while the workflow task was running (ACTIVITY_UNKNOWN), where the real
      // server accepts it, and that race would decide what this history holds.
      await eventually('the staging suites to report', async () =>
        (await h.status(handle)).gates.some((g) => g.gate === 'security-scan') ? true : undefined,
      );
      await handle.executeUpdate(cancelUpdate, {
        args: [{ requestedBy: '@oncall', channel: 'cli', reason: 'superseded' }],
      });
      await handle.result();
      await save('release-cancelled-by-update', handle);
      // Refused at admission: a hotfix naming someone who may not approve.
      await h
        .start({ version: 'v1.9.0', kind: 'hotfix', hotfixApprovers: ['@alice', '@oncall'] })
        .catch(() => undefined);
      await save('hotfix-refused', h.client.workflow.getHandle('hotfix-v1.9.0'));
    });
    // Releases still running when recorded (from the lean-release generation on): what an upgrade of
    // the workers meets. Each must replay to where it was and go on from there.
    await run('latency-regression', async (h) => {
      const first = await h.start({ version: 'v3.0.0' });
      await h.waitForStage(first, 'STAGING_SOAK');
      const queued = await h.start({ version: 'v3.0.1' });
      await h.waitForStage(queued, 'WAITING_FOR_ENVIRONMENT');
      await save('running-in-soak', first);
      await save('running-queued', queued);
      await env.sleep('10m');
      await h.waitForStage(first, 'AWAITING_APPROVAL');
      await save('running-awaiting-approval', first);
      await first.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      await h.waitForStage(first, 'CANARY');
      await env.sleep('2m');
      await save('running-in-canary', first);
      await env.sleep('5m');
      await h.waitForStage(first, 'CANARY_PAUSED');
      await save('running-canary-paused', first);
    });
    // A canary paused long enough to continue as new (from the lean-release generation on): the run
    // that handed over, and the run that took over, was resumed and promoted.
    await run(
      'latency-regression',
      async (h) => {
        const handle = await h.start({ version: 'v3.1.0' });
        await h.waitForStage(handle, 'STAGING_SOAK');
        await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
        await env.sleep('10m');
        await h.waitForStage(handle, 'CANARY');
        await env.sleep('7m');
        await h.waitForStage(handle, 'CANARY_PAUSED');
        await env.sleep('5h');
        const first = handle.firstExecutionRunId;
        if ((await h.status(handle)).runId === first) throw new Error('the paused canary did not continue as new');
        await handle.executeUpdate(pauseDecisionUpdate, {
          args: [{ approver: '@alice', channel: 'cli', decision: 'resume', reason: null }],
        });
        await handle.result();
        await save('canary-paused-continued-as-new', h.client.workflow.getHandle(handle.workflowId, first));
        // The run that finished: it took over from the first.
        await save('canary-resumed-after-continue-as-new', h.client.workflow.getHandle(handle.workflowId));
      },
      { ...SHORT, stages: { ...SHORT.stages, canary: { minDuration: '15m', pauseDeadline: '24h' } } },
    );
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
