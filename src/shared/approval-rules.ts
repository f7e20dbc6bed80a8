// Approval rules (in the manner of Harness approvals): who may approve, how many distinct approvers a
// release needs, and separation of duties. Pure: the workflow's update validators call these, so an
// unauthorized or malformed approval is refused synchronously with the reason and nothing changes.
import { authorizationProblem, type AccessPolicy } from './authorization';
import { OPEN_FOR_APPROVAL } from './decision-rules';
import type { ApprovalState, ReleaseKind, ReleaseStage } from './release';

export interface ApprovalContext {
  kind: ReleaseKind;
  stage: ReleaseStage;
  requestedBy: string;
  access: AccessPolicy;
  separationOfDuties: boolean;
  approval: ApprovalState;
}

export interface ApprovalAttempt {
  approver: string;
  notBefore?: string | null;
}

/** Why this approval must be refused, or null when it is acceptable. */
export function approvalProblem(ctx: ApprovalContext, attempt: ApprovalAttempt): string | null {
  const who = attempt.approver;
  const roleProblem = authorizationProblem(ctx.access, ctx.kind === 'hotfix' ? 'hotfix-approve' : 'approve', who);
  if (roleProblem !== null) return roleProblem;
  if (!OPEN_FOR_APPROVAL.has(ctx.stage)) return `the release is ${ctx.stage}; it is not waiting for approval`;
  if (ctx.approval.rejection !== null) return `the release was already rejected by ${ctx.approval.rejection.approver}`;
  // A hotfix's two approvers are never its requester, whatever separationOfDuties says: the fast
  // track skips staging, so the second pair of eyes is all the review it gets.
  if (who === ctx.requestedBy && (ctx.separationOfDuties || ctx.kind === 'hotfix')) {
    return `${who} started this ${ctx.kind === 'hotfix' ? 'hotfix' : 'release'} and may not approve it (separation of duties)`;
  }
  if (ctx.approval.asked.length > 0 && !ctx.approval.asked.includes(who)) {
    return `${who} was not asked to approve; the approvers asked are ${ctx.approval.asked.join(' and ')}`;
  }
  if (ctx.approval.approvals.some((a) => a.approver === who)) {
    return ctx.approval.required > 1
      ? `${who} has already approved; the next approval must come from a different person`
      : `${who} has already approved`;
  }
  if (ctx.approval.approvals.length >= ctx.approval.required)
    return 'the release already has all the approvals it needs';
  if (attempt.notBefore) {
    if (Number.isNaN(Date.parse(attempt.notBefore)))
      return `"${attempt.notBefore}" is not a time: expected ISO 8601, like 2025-10-05T14:00:00Z`;
  }
  return null;
}

/** Who approved, as the audit trail's approved_by: comma-separated when two approved (a hotfix). */
export function approvedBy(approval: ApprovalState): string | null {
  const who = approval.approvals.filter((a) => a.subject === 'canary' || a.subject === 'hotfix').map((a) => a.approver);
  return who.length ? who.join(',') : null;
}

export function approvalsComplete(approval: ApprovalState): boolean {
  return approval.rejection === null && approval.approvals.length >= approval.required;
}

/** "1 of 2 approvals (@senior-eng); waiting for @team-lead" */
export function approvalProgress(approval: ApprovalState): string {
  const got = approval.approvals.map((a) => a.approver);
  const waitingFor = approval.asked.filter((p) => !got.includes(p));
  const base = `${got.length} of ${approval.required} approval${approval.required === 1 ? '' : 's'}${got.length ? ` (${got.join(', ')})` : ''}`;
  return waitingFor.length > 0 ? `${base}; waiting for ${waitingFor.join(' and ')}` : base;
}
