// Stage 2's approval: waiting for the approvals the policy requires (or a rejection), reminding on an
// interval and rejecting at the deadline; then the scheduled canary start an approver may have set.
import { allHandlersFinished, CancellationScope, condition, sleep } from '@temporalio/workflow';
import { approvalsComplete } from '../../shared/approval-rules';
import { rolesFor } from '../../shared/authorization';
import { formatDuration as formatMs } from '../../shared/duration-format';
import type { ReleaseContext } from './context';
import { checkDevGates } from './dev-gates';
import { ReleaseEnded, rejected } from './ended';

export async function waitForApprovals(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const { approval } = ctx.policy;
  while (!approvalsComplete(s.approval)) {
    if (s.approval.rejection) throw rejected(s);
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
  if (s.approval.rejection) throw rejected(s);
  // Let the approval handlers finish their audit entry and message before the canary's come.
  await condition(allHandlersFinished);
}

/** The hotfix fast track: the commit's dev gates, then two approvals; staging is skipped. */
export async function hotfixGatesAndApprovals(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  // Skipping staging skips its soak and suites, not the checks of the commit itself. Patched:
  // hotfixes that ran before it must replay without them.
  if (ctx.since('hotfix-dev-gates')) await checkDevGates(ctx, 'the hotfix fast track');
  await ctx.requestApproval(
    s.requestedBy,
    `hotfix ${s.version} asks ${s.approval.asked.join(' and ') || `${s.approval.required} holders of ${rolesFor(ctx.policy.access, 'hotfix-approve')}`} to approve (staging is skipped)`,
  );
  await waitForApprovals(ctx);
}

/** Waits for the canary start an approver scheduled (the seed's "scheduled" trigger); a rejection ends it. */
export async function waitUntilNotBefore(ctx: ReleaseContext): Promise<void> {
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
    throw rejected(ctx.status);
  }
}
