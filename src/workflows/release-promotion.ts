// One durable workflow per release (release-<version>, or hotfix-<version> for the fast track) that
// carries it Dev → Staging → Canary (10%) → Production as RELEASE-PROMOTE.md describes, with gates,
// human approval, automatic rollback and an audit trail. Hotfixes skip staging and its soak (not the dev
// gates) but need two distinct approvers; from the canary on both paths are the same.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { approvalsComplete, approvedBy } from '../shared/approval-rules';
import { releaseStartProblem } from '../shared/admission-rules';
import { rolesFor } from '../shared/authorization';
import type { CancelRequest } from '../shared/messages';
import { ReleaseStageAttribute } from '../shared/search-attributes';
import { AdmissionGate, obtainPolicy } from './admission';
import { failedGatesSummary } from '../shared/gates';
import type { ReleaseInput, ReleaseOutcome, ReleaseResult } from '../shared/release';
import { activities } from './activity-proxies';
import { ReleaseContext } from './release/context';
import { installHandlers, type Inbox } from './release/handlers';
import { soakStaging } from './release/staging-soak';
import { formatDuration as formatMs } from '../shared/duration-format';
import { runCanary } from './release/canary-analysis';
import { rootMessage, Saga } from './release/compensation';

class ReleaseEnded extends Error {
  constructor(
    readonly outcome: ReleaseOutcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export async function releasePromotion(input: ReleaseInput): Promise<ReleaseResult> {
  // First, before any await: the starter's admission update must find its handler.
  const admission = new AdmissionGate();
  const installed = await obtainPolicy(input.policy);
  const ctx = new ReleaseContext(input, installed.policy, installed.digest);
  const refusal = releaseStartProblem(input, installed.policy);
  if (refusal !== null) return await refuse(ctx, admission, refusal);
  const inbox: Inbox = { pauseDecision: null, cancel: null, granted: new Set() };
  const held = new Set<string>();
  const saga = new Saga();
  const { policy } = ctx;
  const s = ctx.status;
  // The release's work runs in its own scope, so an authorized cancel update can cancel it.
  const main = new CancellationScope();

  const requestApproval = async (by: string, why: string) => {
    const first = s.approval.requestedAt === null;
    s.approval.requestedAt ??= new Date().toISOString();
    s.approval.requestedBy ??= by;
    if (first && policy.approval.deadlineMs !== null)
      s.approval.deadlineAt = new Date(Date.now() + policy.approval.deadlineMs).toISOString();
    await ctx.audit('approval_request', why);
    await ctx.notify(
      'approval-requested',
      `${s.version} needs approval for ${s.kind === 'hotfix' ? 'the hotfix fast track' : 'canary promotion'}`,
      why,
      ['approve', 'reject'],
    );
  };
  installHandlers(ctx, inbox, main, requestApproval);
  admission.admit(installed, admittedMessage(ctx));

  const acquire = async (environment: string, purpose: string) => {
    const answer = await activities('record', `acquire ${environment}`).acquireEnvironment({
      environment,
      workflowId: s.workflowId,
      purpose,
      preempt: false,
    });
    held.add(environment);
    if (answer.granted) return;
    ctx.setWaitingFor(
      `${environment} is busy with ${answer.holder?.workflowId ?? 'another change'} (${answer.holder?.purpose ?? ''}); queued at position ${answer.position}`,
    );
    await ctx.transition('WAITING_FOR_ENVIRONMENT', ctx.status.waitingFor!);
    // A rejection is accepted while queued, so it must end the wait (the finally leaves the queue).
    await condition(() => inbox.granted.has(environment) || s.approval.rejection !== null);
    if (!inbox.granted.has(environment)) throw rejected(ctx);
    ctx.setWaitingFor(null);
  };
  const release = async (environment: string) => {
    if (!held.delete(environment)) return;
    // A canary the rollback could not remove stays: no other release may deploy over it until a
    // rollback (or a person, with update-sot) has made the environment known again.
    const blockedBecause =
      s.outcome === 'ROLLBACK_FAILED' && environment === policy.productionEnvironment
        ? `${s.version} ended ROLLBACK_FAILED: ${s.outcomeReason ?? ''}`
        : undefined;
    await CancellationScope.nonCancellable(() =>
      activities('record', `release ${environment}`).releaseEnvironment({
        environment,
        workflowId: s.workflowId,
        blockedBecause,
      }),
    );
  };

  try {
    await main.run(async () => {
      const again = input.repeatOf
        ? `; promoted again on purpose (--again), after ${input.repeatOf.workflowId} run ${input.repeatOf.runId} ended ${input.repeatOf.outcome}`
        : '';
      await ctx.audit(
        'start',
        `${s.kind} release of ${s.version} (commit ${s.commitSha}) started by ${s.requestedBy} under policy ${installed.digest ?? '(recorded in the input)'}${again}`,
        {
          fromStage: 'dev',
          toStage: 'dev',
        },
      );
      ctx.details('started');
      await ctx.notify(
        'release-started',
        `${s.version} ${s.kind === 'hotfix' ? 'hotfix ' : ''}started by ${s.requestedBy}`,
        `commit ${s.commitSha}`,
      );

      if (input.kind === 'standard') {
        await devToStaging(ctx, acquire);
        await stagingSoakAndApproval(ctx, requestApproval);
        await release(policy.stagingEnvironment);
      } else {
        // Skipping staging skips its soak and suites, not the checks of the commit itself. Patched:
        // hotfixes that ran before it must replay without them.
        if (patched('hotfix-dev-gates')) await checkDevGates(ctx, 'the hotfix fast track');
        await requestApproval(
          s.requestedBy,
          `hotfix ${s.version} asks ${s.approval.asked.join(' and ') || `${s.approval.required} holders of ${rolesFor(policy.access, 'hotfix-approve')}`} to approve (staging is skipped)`,
        );
        await waitForApprovals(ctx);
      }

      await waitUntilNotBefore(ctx);
      const production = policy.productionEnvironment;
      await acquire(production, `${s.kind} ${s.version}: canary and production rollout`);
      const records = await activities('record', 'read production version records').environmentRecords({
        environment: production,
      });
      s.previousProductionVersion =
        records.current?.version ??
        (await activities('check', 'read running production version').currentStableVersion({
          environment: production,
        }));

      // Stage 3: canary.
      await ctx.transition(
        'CANARY',
        `deploying ${s.version} as a ${policy.canary.weightPercent}% canary in ${production}`,
        { approvedBy: approvedBy(s.approval) },
      );
      // Undo runs newest first: remove the canary, then confirm the stable version still serves.
      saga.add('confirm the stable version still serves', () => confirmStable(production, s.previousProductionVersion));
      saga.add('remove the canary', async () => {
        await activities('deploy', 'remove canary').removeCanary({ environment: production });
        return `canary removed from ${production}`;
      });
      await activities('deploy', `deploy ${s.version} canary`).deployCanary({
        environment: production,
        version: s.version,
        weightPercent: policy.canary.weightPercent,
      });
      const canary = await runCanary(ctx, inbox, production);
      if (!canary.ok) throw new ReleaseEnded('ROLLED_BACK', canary.reason);

      // Production: full rollout, automatic after canary success.
      await ctx.transition(
        'PRODUCTION_ROLLOUT',
        `canary passed ${formatMs(s.canary.elapsedMs)} of analysis: ${s.canary.evaluations.at(-1)?.reason ?? ''}`,
      );
      const previous = s.previousProductionVersion;
      // Verified by the first undo step, which runs last: after the canary is gone too.
      saga.add(`restore ${previous ?? 'the previous version'} in ${production}`, async () => {
        if (previous === null)
          throw new Error(`no previous production version is recorded for ${production}; restore it manually`);
        await activities('deploy', `restore ${previous}`).deployStable({ environment: production, version: previous });
        return `${previous} redeployed to ${production}`;
      });
      await activities('deploy', `roll out ${s.version} to production`).deployStable({
        environment: production,
        version: s.version,
      });
      await activities('deploy', 'remove canary').removeCanary({ environment: production });
      const verification = await activities('check', `verify ${production}`).verifyEnvironment({
        environment: production,
        expectedVersion: s.version,
      });
      if (!verification.ok)
        throw new Error(
          `production verification failed: ${verification.services
            .filter((v) => !v.ok)
            .map((v) => v.line)
            .join('; ')}`,
        );
      await activities('record', 'record production version').recordVersion({
        environment: production,
        record: {
          version: s.version,
          promotedBy: s.requestedBy,
          promotedAt: new Date().toISOString(),
          action: 'promote',
          workflowId: s.workflowId,
        },
      });
      await ctx.finish(
        'PROMOTED',
        `${s.version} serves 100% of ${production}: ${verification.services.map((v) => v.line).join(', ')}`,
      );
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() => endAfterFailure(ctx, saga, err, inbox.cancel));
  } finally {
    await CancellationScope.nonCancellable(async () => {
      for (const env of [...held]) await release(env);
    });
  }
  return resultOf(ctx);
}

function resultOf(ctx: ReleaseContext): ReleaseResult {
  const s = ctx.status;
  return {
    version: s.version,
    outcome: s.outcome!,
    reason: s.outcomeReason!,
    stage: s.stage,
    finishedAt: new Date().toISOString(),
  };
}

/** A start the installation's policy does not allow: audited, then the starter is told; nothing changed. */
async function refuse(ctx: ReleaseContext, admission: AdmissionGate, reason: string): Promise<ReleaseResult> {
  const s = ctx.status;
  s.outcome = 'REFUSED';
  s.outcomeReason = reason;
  s.stage = 'REFUSED';
  upsertSearchAttributes([{ key: ReleaseStageAttribute, value: 'REFUSED' }]);
  ctx.details(`refused: ${reason}`);
  await ctx.audit('refuse', `start of ${s.version} by ${s.requestedBy} refused: ${reason}`, {
    fromStage: 'dev',
    toStage: 'dev',
  });
  admission.refuse(reason);
  await condition(allHandlersFinished);
  return resultOf(ctx);
}

function admittedMessage(ctx: ReleaseContext): string {
  const { policy, status: s } = ctx;
  const path =
    s.kind === 'hotfix'
      ? `hotfix: dev gates, then ${policy.hotfix.requiredApprovals} approvals from ${s.approval.asked.join(' and ') || `holders of ${rolesFor(policy.access, 'hotfix-approve')}`}`
      : `dev gates → ${policy.stagingEnvironment} (${formatMs(policy.soak.durationMs)} soak) → approval by ${rolesFor(policy.access, 'approve')} → ${policy.canary.weightPercent}% canary (${formatMs(policy.canary.minDurationMs)}) → ${policy.productionEnvironment}`;
  return `started ${s.workflowId} (run ${s.runId}) under the installation's policy ${s.policyDigest ?? ''}: ${path}`;
}

/** CI checks, unit coverage, security findings and code review of the commit: every release, hotfixes too. */
async function checkDevGates(ctx: ReleaseContext, before: string): Promise<number> {
  const s = ctx.status;
  ctx.details('checking dev gates');
  const gates = await activities('check', 'dev gates: CI, coverage, security, review').checkDevGates({
    version: s.version,
    commitSha: s.commitSha,
    policy: ctx.policy.devGates,
  });
  s.gates.push(...gates);
  for (const g of gates) await ctx.audit('gate', `${g.gate} ${g.passed ? 'passed' : 'failed'}: ${g.reason}`);
  const failed = failedGatesSummary(gates);
  if (failed) throw new ReleaseEnded('GATES_FAILED', `dev gates failed before ${before}: ${failed}`);
  return gates.length;
}

async function devToStaging(
  ctx: ReleaseContext,
  acquire: (env: string, purpose: string) => Promise<void>,
): Promise<void> {
  const s = ctx.status;
  const { policy } = ctx;
  const passed = await checkDevGates(ctx, 'staging');
  if (s.approval.rejection) throw rejected(ctx);

  await acquire(policy.stagingEnvironment, `${s.version}: staging deploy and soak`);
  await ctx.transition(
    'DEPLOYING_STAGING',
    `all ${passed} dev gates passed; deploying ${s.version} to ${policy.stagingEnvironment}`,
  );
  await activities('deploy', `deploy ${s.version} to staging`).deployStable({
    environment: policy.stagingEnvironment,
    version: s.version,
  });
  // Staging keeps version records too (what ran there, for `sot`, `verify` and `rollback staging`).
  // Patched: releases that ran before it must replay without this step.
  if (patched('record-staging-version')) {
    await activities('record', 'record staging version').recordVersion({
      environment: policy.stagingEnvironment,
      record: {
        version: s.version,
        promotedBy: s.requestedBy,
        promotedAt: new Date().toISOString(),
        action: 'promote',
        workflowId: s.workflowId,
      },
    });
  }
}

async function stagingSoakAndApproval(
  ctx: ReleaseContext,
  requestApproval: (by: string, why: string) => Promise<void>,
): Promise<void> {
  const s = ctx.status;
  const { policy } = ctx;
  await ctx.transition(
    'STAGING_SOAK',
    `${s.version} deployed to ${policy.stagingEnvironment}; soaking for ${formatMs(policy.soak.durationMs)} while E2E, load and security gates run`,
  );
  const stagingGates = await activities('suites', 'staging gates: E2E, load, security scan').checkStagingGates({
    version: s.version,
    commitSha: s.commitSha,
    environment: policy.stagingEnvironment,
  });
  s.gates.push(...stagingGates);
  for (const g of stagingGates) await ctx.audit('gate', `${g.gate} ${g.passed ? 'passed' : 'failed'}: ${g.reason}`);
  const failed = failedGatesSummary(stagingGates);
  if (failed) throw new ReleaseEnded('GATES_FAILED', `staging gates failed: ${failed}`);

  const soak = await soakStaging(ctx, policy.stagingEnvironment);
  if ('rejected' in soak) throw rejected(ctx);
  if (!soak.ok) throw new ReleaseEnded('SOAK_FAILED', soak.reason);
  ctx.setWaitingFor(null);
  if (!approvalsComplete(s.approval)) {
    await ctx.transition(
      'AWAITING_APPROVAL',
      `staging soak complete after ${s.soak.checks} health checks; waiting for ${rolesFor(ctx.policy.access, 'approve')}`,
      { notify: false },
    );
    if (s.approval.requestedAt === null)
      await requestApproval(
        s.requestedBy,
        `staging was healthy for ${formatMs(policy.soak.durationMs)}; canary promotion needs approval`,
      );
  }
  await waitForApprovals(ctx);
}

/** Waits for the approvals (or a rejection), reminding on an interval and rejecting at the deadline. */
async function waitForApprovals(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const { approval } = ctx.policy;
  while (!approvalsComplete(s.approval)) {
    if (s.approval.rejection) throw rejected(ctx);
    const deadline = s.approval.deadlineAt ? Date.parse(s.approval.deadlineAt) : null;
    const wait =
      deadline === null ? approval.reminderIntervalMs : Math.min(approval.reminderIntervalMs, deadline - Date.now());
    ctx.setWaitingFor(
      `approval: ${s.approval.required - s.approval.approvals.length} more from ${s.approval.asked.length ? s.approval.asked.join(', ') : `holders of ${rolesFor(ctx.policy.access, s.kind === 'hotfix' ? 'hotfix-approve' : 'approve')}`}`,
    );
    const decided = await condition(
      () => approvalsComplete(s.approval) || s.approval.rejection !== null,
      Math.max(wait, 1),
    );
    if (decided) continue;
    if (deadline !== null && Date.now() >= deadline) {
      throw new ReleaseEnded(
        'REJECTED',
        `nobody approved within the ${formatMs(approval.deadlineMs!)} approval deadline`,
      );
    }
    await ctx.notify('approval-reminder', `${s.version} is still waiting for approval`, ctx.status.waitingFor ?? '', [
      'approve',
      'reject',
    ]);
  }
  if (s.approval.rejection) throw rejected(ctx);
  // Let the approval handlers finish their audit entry and message before the canary's come.
  await condition(allHandlersFinished);
}

/** Waits for the canary start an approver scheduled; a rejection in the meantime ends the release. */
async function waitUntilNotBefore(ctx: ReleaseContext): Promise<void> {
  const { approval } = ctx.status;
  const notBefore = approval.notBefore;
  if (!notBefore) return;
  const wait = Date.parse(notBefore) - Date.now();
  if (wait <= 0) return;
  ctx.setWaitingFor(`the scheduled canary start at ${notBefore}`);
  const timer = new CancellationScope();
  const scheduled = timer.run(() => sleep(wait, { summary: `scheduled canary start ${notBefore}` }));
  await Promise.race([scheduled, condition(() => approval.rejection !== null)]);
  if (approval.rejection) {
    timer.cancel();
    await scheduled.catch(() => undefined);
    throw rejected(ctx);
  }
}

function rejected(ctx: ReleaseContext): ReleaseEnded {
  const r = ctx.status.approval.rejection!;
  return new ReleaseEnded('REJECTED', `rejected by ${r.approver} via ${r.channel}: ${r.note ?? ''}`);
}

async function confirmStable(environment: string, version: string | null): Promise<string> {
  if (version === null) {
    const health = await activities('check', `check ${environment} stable health`).checkHealth({
      environment,
      track: 'stable',
    });
    const sick = health.filter((h) => !h.healthy);
    if (sick.length)
      throw new Error(`stable track unhealthy: ${sick.map((h) => `${h.service} (${h.detail})`).join(', ')}`);
    return `stable track healthy (${health.length} services)`;
  }
  const report = await activities('check', `verify ${environment} runs ${version}`).verifyEnvironment({
    environment,
    expectedVersion: version,
  });
  if (!report.ok)
    throw new Error(
      report.services
        .filter((l) => !l.ok)
        .map((l) => l.line)
        .join('; '),
    );
  return report.services.map((l) => l.line).join(', ');
}

async function endAfterFailure(
  ctx: ReleaseContext,
  saga: Saga,
  err: unknown,
  cancelRequest: CancelRequest | null,
): Promise<void> {
  const s = ctx.status;
  const cancelled = isCancellation(err);
  const ended = err instanceof ReleaseEnded ? err : null;
  const by = cancelRequest
    ? ` by ${cancelRequest.requestedBy} via ${cancelRequest.channel}${cancelRequest.reason ? ` (${cancelRequest.reason})` : ''}`
    : '';
  const reason = cancelled
    ? `cancelled${by} during ${s.stage}`
    : ended
      ? ended.reason
      : `${s.stage} failed: ${rootMessage(err)}`;
  if (cancelled)
    await ctx.audit('cancel', reason, {
      approvedBy: cancelRequest?.requestedBy ?? null,
      channel: cancelRequest?.channel ?? null,
    });
  if (saga.empty) {
    await ctx.finish(cancelled ? 'CANCELLED' : (ended?.outcome ?? 'FAILED'), reason);
    return;
  }
  await ctx.transition('ROLLING_BACK', reason, {
    notify: false,
    fromVersion: s.version,
    toVersion: s.previousProductionVersion,
  });
  await ctx.notify('rollback-started', `${s.version} is rolling back`, reason);
  const failures = await saga.compensate(ctx, reason);
  if (failures.length > 0) {
    await ctx.audit('rollback_failed', failures.join('; '), {
      fromVersion: s.version,
      toVersion: s.previousProductionVersion,
    });
    await ctx.finish(
      'ROLLBACK_FAILED',
      `${reason}; rollback incomplete, operator action needed: ${failures.join('; ')}`,
    );
    return;
  }
  const restored = s.previousProductionVersion ? `; ${s.previousProductionVersion} still serves production` : '';
  await ctx.finish(cancelled ? 'CANCELLED' : 'ROLLED_BACK', `${reason}${restored}`);
}

/** The hotfix fast track: the same workflow with kind "hotfix" (ID hotfix-<version>). */
export async function hotfixPromotion(input: ReleaseInput): Promise<ReleaseResult> {
  return releasePromotion({ ...input, kind: 'hotfix' });
}
