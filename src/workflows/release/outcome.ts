// How a release starts and ends: its admission message and start entry, a refused start, the outcome
// after a failure (compensation first) and the result the workflow returns.
import { allHandlersFinished, condition, isCancellation, upsertSearchAttributes } from '@temporalio/workflow';
import { rolesFor } from '../../shared/authorization';
import { formatDuration as formatMs } from '../../shared/duration-format';
import type { ReleaseResult } from '../../shared/release';
import { canarySteps } from '../../shared/policy';
import { ReleaseStageAttribute } from '../../shared/search-attributes';
import type { AdmissionGate } from '../admission';
import { rootMessage } from './compensation';
import type { ReleaseContext } from './context';
import { ReleaseEnded } from './ended';

/** The release's first entry and message. */
export async function started(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const again = s.repeatOf
    ? `; promoted again on purpose (--again), after ${s.repeatOf.workflowId} run ${s.repeatOf.runId} ended ${s.repeatOf.outcome}`
    : '';
  // Nothing has changed yet: a lean run writes this entry with the dev gates' entries.
  await ctx.auditWithNext(
    'start',
    `${s.kind} release of ${s.version} (commit ${s.commitSha}) started by ${s.requestedBy} under policy ${s.policyDigest ?? '(recorded in the input)'}${again}`,
    { fromStage: 'dev', toStage: 'dev' },
  );
  ctx.details('started');
  await ctx.notify(
    'release-started',
    `${s.version} ${s.kind === 'hotfix' ? 'hotfix ' : ''}started by ${s.requestedBy}`,
    `commit ${s.commitSha}`,
  );
}

export function admittedMessage(ctx: ReleaseContext): string {
  const { policy, status: s } = ctx;
  const path =
    s.kind === 'hotfix'
      ? `hotfix: dev gates, then ${policy.hotfix.requiredApprovals} approvals from ${s.approval.asked.join(' and ') || `holders of ${rolesFor(policy.access, 'hotfix-approve')}`}`
      : `dev gates → ${policy.stagingEnvironment} (${formatMs(policy.soak.durationMs)} soak) → approval by ${rolesFor(policy.access, 'approve')} → ${canarySteps(
          policy.canary,
        )
          .map((w) => `${w}%`)
          .join(' → ')} canary (${formatMs(policy.canary.minDurationMs)}) → ${policy.productionEnvironment}`;
  return `started ${s.workflowId} (run ${s.runId}) under the installation's policy ${s.policyDigest ?? ''}: ${path}`;
}

/** A start the installation's policy does not allow: audited, then the starter is told; nothing changed. */
export async function refuse(ctx: ReleaseContext, admission: AdmissionGate, reason: string): Promise<ReleaseResult> {
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

/** After a failure, breach, rejection or cancellation: undo what was changed, then record the outcome. */
export async function endAfterFailure(ctx: ReleaseContext, err: unknown): Promise<void> {
  const s = ctx.status;
  const { saga } = ctx;
  const cancelRequest = ctx.inbox.cancel;
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
  const announce = async () => {
    await ctx.transition('ROLLING_BACK', reason, {
      notify: false,
      fromVersion: s.version,
      toVersion: s.previousProductionVersion,
    });
    await ctx.notify('rollback-started', `${s.version} is rolling back`, reason);
  };
  // A routed canary's rollback starts at once (its first undo takes the canary's traffic away); the
  // stage change, its records and the notification go alongside instead of before it.
  let failures: string[];
  if (ctx.lean) {
    // The undo starts at once, beside the ROLLING_BACK records; its message goes out in the background,
    // so nothing in a rollback waits for a notification.
    [failures] = await Promise.all([saga.compensate(ctx, reason), announce()]);
  } else if (ctx.routed) {
    [failures] = await Promise.all([saga.compensate(ctx, reason), announce()]);
  } else {
    await announce();
    failures = await saga.compensate(ctx, reason);
  }
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

export function resultOf(ctx: ReleaseContext): ReleaseResult {
  const s = ctx.status;
  return {
    version: s.version,
    outcome: s.outcome!,
    reason: s.outcomeReason!,
    stage: s.stage,
    finishedAt: new Date().toISOString(),
  };
}
