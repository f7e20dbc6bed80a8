// Manual rollback: to the previous version, to a named one, refusal of a version that never ran,
// and precedence over a promotion holding the environment (cancelled and compensated first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { withHarness, type Harness } from '../helpers/release-harness';
import { approveUpdate } from '../../src/shared/messages';
import { environmentRecordsQuery } from '../../src/shared/ledger';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import { startManualRollback } from '../../src/client/start-rollback';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

import type { ReleaseResult } from '../../src/shared/release';

const SHORT = { stages: { staging: { soak: '10m' }, canary: { minDuration: '5m' } } };

async function promote(h: Harness, version: string): Promise<ReleaseResult> {
  const handle = await h.start({ version });
  await h.waitForStage(handle, 'STAGING_SOAK');
  await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
  return await handle.result();
}

const rollback = (h: Harness, version?: string) =>
  startManualRollback(h.client, h.config, { environment: 'production', version, requestedBy: '@oncall' });
const records = (h: Harness) =>
  h.client.workflow
    .getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue))
    .query(environmentRecordsQuery);

test('rolls production back to the previous version, then to a named one, and verifies every service', async () => {
  await withHarness(env, { config: SHORT }, async (h) => {
    for (const v of ['v3.0.0', 'v3.1.0', 'v3.2.0']) assert.equal((await promote(h, v)).outcome, 'PROMOTED');

    const toPrevious = await (await rollback(h)).handle.result();
    assert.equal(toPrevious.ok, true, toPrevious.reason);
    assert.equal(toPrevious.version, 'v3.1.0');
    assert.deepEqual(toPrevious.verification, [
      '✓ api-gateway: v3.1.0 (healthy)',
      '✓ orchestrator: v3.1.0 (healthy)',
      '✓ workers: v3.1.0 (healthy)',
    ]);
    let r = await records(h);
    assert.equal(r.current?.version, 'v3.1.0');
    assert.equal(r.current?.action, 'rollback');
    assert.equal(r.current?.promotedBy, '@oncall');

    const toNamed = await (await rollback(h, 'v3.0.0')).handle.result();
    assert.equal(toNamed.ok, true, toNamed.reason);
    r = await records(h);
    assert.equal(r.current?.version, 'v3.0.0');
    assert.deepEqual(r.previous.map((p) => p.version).slice(0, 3), ['v3.1.0', 'v3.2.0', 'v3.1.0']);
  });
});

test('a version that never ran there is refused with the list of valid ones', async () => {
  await withHarness(env, { config: SHORT }, async (h) => {
    for (const v of ['v4.0.0', 'v4.1.0']) await promote(h, v);
    await assert.rejects(
      rollback(h, 'v9.9.9'),
      /^InvalidInputError: refused: v9\.9\.9 never ran in production \(or runs there now\); versions you can roll back to: v4\.0\.0$/,
    );
    await assert.rejects(rollback(h, 'v4.1.0'), /runs there now/);
    await assert.rejects(
      startManualRollback(h.client, h.config, { environment: 'prod', requestedBy: '@oncall' }),
      /^InvalidInputError: refused: unknown environment "prod" \(the installation defines: staging, production\)/,
    );
  });
});

test('a rollback takes precedence over a promotion in its canary: the release is cancelled and compensated first', async () => {
  await withHarness(env, { config: SHORT }, async (h) => {
    await promote(h, 'v5.0.0');
    await promote(h, 'v5.1.0');
    const release = await h.start({ version: 'v5.2.0' });
    await h.waitForStage(release, 'STAGING_SOAK');
    await release.executeUpdate(approveUpdate, { args: [{ approver: '@bob', channel: 'cli' }] });
    await env.sleep('12m');
    const inCanary = await h.status(release);
    assert.equal(inCanary.stage, 'CANARY');

    const started = await rollback(h);
    const result = await started.handle.result();
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.version, 'v5.0.0');
    const releaseResult = await release.result();
    assert.equal(releaseResult.outcome, 'CANCELLED');
    const released = await h.status(release);
    assert.ok(
      released.rollback?.steps.some((s) => s.step === 'remove the canary' && s.ok),
      'the release removed its canary',
    );
    assert.equal((await records(h)).current?.version, 'v5.0.0');
  });
});
