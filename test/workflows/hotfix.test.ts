// The hotfix fast track on the time-skipping server (real 30-minute canary): staging and its soak are
// skipped, two different approvers are needed (neither the requester, and only the named ones when
// the hotfix names them), a refused approval changes nothing, and the order of the approvals does not
// matter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import {
  acceptedDecisions,
  approve,
  HOUR,
  MINUTE,
  refusal,
  stageGapMs,
  withHarness,
  type Harness,
} from '../helpers/release-harness';
import type { ReleaseStatus } from '../../src/shared/release';
import type { AuditEntry } from '../../src/shared/audit';
import { HotfixPromotion, workflowHandle } from '../../src/workflow-api';
import { eventually } from '../helpers/eventually';

/** @dave holds the role but is never named; @carol holds it and requests some of the hotfixes. */
const ROLES = { RELEASE_APPROVER: ['@alice', '@bob', '@carol', '@dave'] };

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

function auditActions(h: Harness, version: string): string[] {
  const path = join(h.dir, 'audit', `${version}.jsonl`);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as AuditEntry).action);
}

async function timerDurationsMs(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.timerStartedEventAttributes?.startToFireTimeout)
    .filter((t) => t != null)
    .map((t) => Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6));
}

/** What a refused approval must leave untouched. */
const snapshot = (s: ReleaseStatus) => ({
  stage: s.stage,
  approval: s.approval,
  history: s.history,
  canary: s.canary.startedAt,
});

test('two distinct approvers promote a hotfix to production without staging', async () => {
  await withHarness(env, { config: { roles: ROLES } }, async (h) => {
    const handle = await h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'], version: 'v1.2.4' });
    assert.equal(handle.workflowId, 'hotfix-v1.2.4');
    const waiting = await h.status(handle);
    assert.equal(waiting.kind, 'hotfix');
    assert.equal(waiting.stage, 'AWAITING_APPROVAL');
    assert.equal(waiting.approval.required, 2);
    assert.deepEqual(waiting.approval.asked, ['@alice', '@bob']);

    const first = await approve(handle, '@alice');
    assert.equal(first.message, 'approval recorded: 1 of 2 approvals (@alice); waiting for @bob');
    assert.equal((await h.status(handle)).stage, 'AWAITING_APPROVAL', 'one approval is not enough');
    const second = await approve(handle, '@bob');
    assert.match(second.message, /^approved: 2 of 2 approvals \(@alice, @bob\)/);

    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    assert.match(result.reason, /v1\.2\.4 serves 100% of production: ✓ api-gateway: v1\.2\.4 \(healthy\)/);

    const status = await h.status(handle);
    assert.deepEqual(
      status.history.map((t) => t.to),
      ['CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
      'no staging stage',
    );
    assert.equal(status.soak.startedAt, null, 'no soak');
    // The commit's own checks still gate a hotfix; the staging suites do not (there is no staging).
    assert.deepEqual(
      status.gates.map((g) => [g.gate, g.passed]),
      [
        ['ci-checks', true],
        ['unit-coverage', true],
        ['security-findings', true],
        ['code-review', true],
      ],
    );
    assert.equal(existsSync(join(h.dir, 'simulated', 'staging.json')), false, 'nothing was deployed to staging');
    assert.equal(existsSync(join(h.dir, 'simulated', 'production.json')), true);
    assert.deepEqual(
      status.approval.approvals.map((a) => [a.approver, a.subject, a.channel]),
      [
        ['@alice', 'hotfix', 'cli'],
        ['@bob', 'hotfix', 'cli'],
      ],
    );
    // From the canary on it is a normal release: the seed's 30-minute canary on the workflow clock.
    const canary = stageGapMs(status, 'CANARY', 'PRODUCTION_ROLLOUT');
    assert.ok(canary >= 30 * MINUTE && canary < 31 * MINUTE, `canary took ${canary / MINUTE} min`);
    const timers = await timerDurationsMs(handle);
    assert.equal(timers.filter((t) => t === 2 * HOUR).length, 0, 'no staging soak timer');
    assert.equal(timers.filter((t) => t === 30 * MINUTE).length, 1, 'one 30-minute canary timer');

    const actions = auditActions(h, 'v1.2.4');
    assert.equal(actions.filter((a) => a === 'hotfix_approve').length, 2);
    assert.equal(actions.filter((a) => a === 'gate').length, 4);
  });
});

test('a hotfix whose commit fails its dev gates ends before anyone is asked to approve it', async () => {
  await withHarness(env, { config: { roles: ROLES }, scenario: 'failing-gates' }, async (h) => {
    const handle = await h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'], version: 'v1.2.9' });
    const result = await handle.result();
    assert.equal(result.outcome, 'GATES_FAILED');
    assert.match(result.reason, /^dev gates failed before the hotfix fast track: unit-coverage/);
    const status = await h.status(handle);
    assert.equal(status.approval.requestedAt, null, 'no approval was asked for');
    assert.equal(existsSync(join(h.dir, 'simulated', 'production.json')), false, 'production was never touched');
  });
});

test('the same approver twice, the requester, a non-approver and an approver not named are each refused with the reason, and nothing changes', async () => {
  await withHarness(env, { config: { roles: ROLES } }, async (h) => {
    const handle = await h.start({
      kind: 'hotfix',
      hotfixApprovers: ['@alice', '@bob'],
      version: 'v1.3.1',
      requestedBy: '@carol',
    });
    // The request is audited before anything else is; wait for it so the audit file is settled.
    await eventually('the approval request to be audited', () =>
      auditActions(h, 'v1.3.1').includes('approval_request'),
    );
    const before = snapshot(await h.status(handle));
    const auditBefore = auditActions(h, 'v1.3.1');

    assert.equal(
      await refusal(approve(handle, '@mallory')),
      '@mallory does not hold RELEASE_APPROVER, the role needed to approve a hotfix',
    );
    assert.equal(
      await refusal(approve(handle, '@carol')),
      '@carol started this hotfix and may not approve it (separation of duties)',
    );
    assert.equal(
      await refusal(approve(handle, '@dave')),
      '@dave was not asked to approve; the approvers asked are @alice and @bob',
    );
    assert.deepEqual(snapshot(await h.status(handle)), before, 'refused approvals leave the workflow unchanged');
    assert.deepEqual(auditActions(h, 'v1.3.1'), auditBefore, 'and leave nothing in the audit trail');
    assert.equal(await acceptedDecisions(handle), 0, 'and nothing in the history');

    await approve(handle, '@alice');
    const once = snapshot(await h.status(handle));
    assert.equal(
      await refusal(approve(handle, '@alice')),
      '@alice has already approved; the next approval must come from a different person',
    );
    assert.deepEqual(snapshot(await h.status(handle)), once, 'a second approval by the same person changes nothing');
    assert.equal(once.stage, 'AWAITING_APPROVAL');
    assert.deepEqual(
      once.approval.approvals.map((a) => a.approver),
      ['@alice'],
    );
    assert.equal(await acceptedDecisions(handle), 1);
    assert.equal(auditActions(h, 'v1.3.1').filter((a) => a === 'hotfix_approve').length, 1);

    await approve(handle, '@bob');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    assert.deepEqual(
      (await h.status(handle)).approval.approvals.map((a) => a.approver),
      ['@alice', '@bob'],
    );
  });
});

test('the approvals may come in either order', async () => {
  await withHarness(env, { config: { roles: ROLES } }, async (h) => {
    const handle = await h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'], version: 'v1.3.2' });
    assert.equal(
      (await approve(handle, '@bob')).message,
      'approval recorded: 1 of 2 approvals (@bob); waiting for @alice',
    );
    await approve(handle, '@alice');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const status = await h.status(handle);
    assert.deepEqual(
      status.approval.approvals.map((a) => a.approver),
      ['@bob', '@alice'],
    );
    assert.deepEqual(
      status.history.map((t) => t.to),
      ['CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
    );
  });
});

test('without named approvers, any two different RELEASE_APPROVERs approve', async () => {
  await withHarness(env, { config: { roles: ROLES } }, async (h) => {
    const handle = await h.start({ kind: 'hotfix', hotfixApprovers: [], version: 'v1.3.3' });
    await approve(handle, '@dave');
    assert.match(
      await refusal(approve(handle, '@dave')),
      /@dave has already approved; the next approval must come from a different person/,
    );
    await approve(handle, '@carol');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
  });
});

test('a hotfix naming the same approver twice, the requester, or a non-approver is refused before it starts', async () => {
  await withHarness(env, { config: { roles: ROLES } }, async (h) => {
    await assert.rejects(
      h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@alice'], version: 'v1.3.4' }),
      /the hotfix approvers must be different people/,
    );
    await assert.rejects(
      h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@carol'], version: 'v1.3.4', requestedBy: '@carol' }),
      /@carol requested the hotfix and cannot be one of its approvers/,
    );
    await assert.rejects(
      h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@mallory'], version: 'v1.3.4' }),
      /refused: cannot ask @mallory to approve the hotfix: @mallory does not hold RELEASE_APPROVER, the role needed to approve a hotfix/,
    );
    // The first two never reach Temporal; the third is refused by the workflow from the installation's
    // policy, before it changes anything: its run ends REFUSED, audited, and deploys nothing.
    const refused = await workflowHandle(h.client, HotfixPromotion, 'hotfix-v1.3.4').result();
    assert.equal(refused.outcome, 'REFUSED');
    assert.match(refused.reason, /^cannot ask @mallory to approve the hotfix/);
    assert.deepEqual(auditActions(h, 'v1.3.4'), ['refuse']);
    assert.equal(existsSync(join(h.dir, 'simulated', 'production.json')), false, 'nothing deployed');
  });
});
