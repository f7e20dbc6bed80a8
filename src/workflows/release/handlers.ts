// The release's query and update handlers. Validators run the pure approval rules, so a refused
// decision returns its reason to the caller at once and never enters the history.
import { setHandler } from '@temporalio/workflow';
import { approvalProblem, approvalProgress, approvalsComplete, approverRoleProblem } from '../../shared/approval-rules';
import { identityProblem } from '../../shared/identifiers';
import {
  approveUpdate,
  type ApproveRequest,
  type CanaryRequest,
  type RejectRequest,
  environmentGrantedSignal,
  pauseDecisionUpdate,
  rejectUpdate,
  requestCanaryUpdate,
  statusQuery,
  type PauseDecisionRequest,
} from '../../shared/messages';
import type { ReleaseContext } from './context';

/** Decisions the main flow picks up: a pending pause decision and the environments granted to it. */
export interface Inbox {
  pauseDecision: PauseDecisionRequest | null;
  granted: Set<string>;
}

export function installHandlers(ctx: ReleaseContext, inbox: Inbox, requestApproval: (by: string, why: string) => Promise<void>): void {
  const s = ctx.status;
  const approvalContext = () => ({
    kind: s.kind,
    stage: s.stage,
    requestedBy: s.requestedBy,
    approvers: s.policy.approval.approvers,
    separationOfDuties: s.policy.approval.separationOfDuties,
    approval: s.approval,
  });

  setHandler(statusQuery, () => s);
  setHandler(environmentGrantedSignal, ({ environment }) => void inbox.granted.add(environment));

  setHandler(
    approveUpdate,
    async (req) => {
      const stage = s.stage;
      const subject = s.kind === 'hotfix' ? 'hotfix' : 'canary';
      s.approval.approvals.push({ approver: req.approver, channel: req.channel, at: new Date().toISOString(), subject, note: req.note ?? null, notBefore: req.notBefore ?? null });
      if (req.notBefore) s.approval.notBefore = req.notBefore;
      const progress = approvalProgress(s.approval);
      ctx.details(`approved by ${req.approver} via ${req.channel}: ${progress}`);
      await ctx.audit(s.kind === 'hotfix' ? 'hotfix_approve' : 'approve', `approved via ${req.channel}: ${progress}`, { approvedBy: req.approver, channel: req.channel, from: s.stage });
      await ctx.notify('approval-recorded', `${s.version} approved by ${req.approver}`, progress);
      const done = approvalsComplete(s.approval);
      return { stage, message: done ? `approved: ${progress}; the canary starts when every other condition holds` : `approval recorded: ${progress}` };
    },
    { validator: (req: ApproveRequest) => throwIf(approvalProblem(approvalContext(), { approver: req.approver, notBefore: req.notBefore ?? null })) },
  );

  setHandler(
    rejectUpdate,
    async (req) => {
      s.approval.rejection = { approver: req.approver, channel: req.channel, at: new Date().toISOString(), subject: 'reject', note: req.reason, notBefore: null };
      await ctx.audit('reject', `rejected via ${req.channel}: ${req.reason}`, { approvedBy: req.approver, channel: req.channel, from: s.stage });
      return { stage: s.stage, message: `rejected: ${s.version} will not be promoted (${req.reason})` };
    },
    {
      validator: (req: RejectRequest) => {
        throwIf(approverRoleProblem(s.policy.approval.approvers, req.approver));
        if (!req.reason?.trim()) throw new Error('a rejection needs a reason');
        const open = ['DEV_GATES', 'WAITING_FOR_ENVIRONMENT', 'DEPLOYING_STAGING', 'STAGING_SOAK', 'AWAITING_APPROVAL'];
        if (!open.includes(s.stage)) throw new Error(`the release is ${s.stage}; only a release waiting for approval can be rejected (use rollback or cancel)`);
        if (s.approval.rejection) throw new Error(`already rejected by ${s.approval.rejection.approver}`);
      },
    },
  );

  setHandler(
    pauseDecisionUpdate,
    (req) => {
      inbox.pauseDecision = req;
      return { stage: s.stage, message: req.decision === 'resume' ? 'resuming the canary; paused time does not count toward its minimum duration' : 'rolling back the canary' };
    },
    {
      validator: (req: PauseDecisionRequest) => {
        throwIf(approverRoleProblem(s.policy.approval.approvers, req.approver));
        if (req.decision !== 'resume' && req.decision !== 'rollback') throw new Error(`decision must be resume or rollback, not "${String(req.decision)}"`);
        if (s.stage !== 'CANARY_PAUSED') throw new Error(`the canary is not paused (stage ${s.stage})`);
        if (inbox.pauseDecision) throw new Error(`${inbox.pauseDecision.approver} has already decided: ${inbox.pauseDecision.decision}`);
      },
    },
  );

  setHandler(
    requestCanaryUpdate,
    async (req) => {
      await requestApproval(req.requestedBy, `canary promotion requested by ${req.requestedBy} via ${req.channel}`);
      return { stage: s.stage, message: `approval requested from ${s.approval.asked.length ? s.approval.asked.join(' and ') : 'holders of RELEASE_APPROVER'}` };
    },
    {
      validator: (req: CanaryRequest) => {
        throwIf(identityProblem(req.requestedBy));
        if (!['DEV_GATES', 'WAITING_FOR_ENVIRONMENT', 'DEPLOYING_STAGING', 'STAGING_SOAK', 'AWAITING_APPROVAL'].includes(s.stage)) {
          throw new Error(`the release is ${s.stage}; a canary can no longer be requested`);
        }
      },
    },
  );
}

function throwIf(problem: string | null): void {
  if (problem !== null) throw new Error(problem);
}
