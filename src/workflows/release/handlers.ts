// The release's query and update handlers. Validators run the pure decision rules with the policy
// the release recorded, so a refused decision returns its reason (naming the missing role) to the
// caller at once and never enters the history.
import { setHandler } from '@temporalio/workflow';
import { approvalProblem, approvalProgress, approvalsComplete } from '../../shared/approval-rules';
import {
  canaryRequestProblem,
  cancelProblem,
  decisionAcks,
  pauseDecisionProblem,
  rejectionProblem,
} from '../../shared/decision-rules';
import {
  approveUpdate,
  cancelUpdate,
  environmentGrantedSignal,
  pauseDecisionUpdate,
  rejectUpdate,
  requestCanaryUpdate,
  statusQuery,
  type ApproveRequest,
  type CancelRequest,
  type CanaryRequest,
  type PauseDecisionRequest,
  type RejectRequest,
} from '../../shared/messages';
import { leaseAnswerSignal } from '../../shared/ledger';
import type { ReleaseContext } from './context';
import { rolesFor } from '../../shared/authorization';

export function installHandlers(ctx: ReleaseContext): void {
  const s = ctx.status;
  const { inbox } = ctx;
  const { access } = ctx.policy;

  setHandler(statusQuery, () => s);
  setHandler(environmentGrantedSignal, ({ environment }) => void inbox.granted.add(environment));
  setHandler(leaseAnswerSignal, (answer) => {
    inbox.leaseAnswers.set(answer.environment, answer);
    if (answer.granted) inbox.granted.add(answer.environment);
  });

  setHandler(
    approveUpdate,
    async (req) => {
      const stage = s.stage;
      const subject = s.kind === 'hotfix' ? 'hotfix' : 'canary';
      s.approval.approvals.push({
        approver: req.approver,
        channel: req.channel,
        at: new Date().toISOString(),
        subject,
        note: req.note ?? null,
        notBefore: req.notBefore ?? null,
      });
      if (req.notBefore) s.approval.notBefore = req.notBefore;
      const progress = approvalProgress(s.approval);
      ctx.details(`approved by ${req.approver} via ${req.channel}: ${progress}`);
      await ctx.audit(s.kind === 'hotfix' ? 'hotfix_approve' : 'approve', `approved via ${req.channel}: ${progress}`, {
        approvedBy: req.approver,
        channel: req.channel,
      });
      await ctx.notify('approval-recorded', `${s.version} approved by ${req.approver}`, progress);
      const done = approvalsComplete(s.approval);
      return {
        stage,
        message: decisionAcks.approval(progress, done),
      };
    },
    {
      validator: (req: ApproveRequest) =>
        throwIf(
          approvalProblem(
            {
              kind: s.kind,
              stage: s.stage,
              requestedBy: s.requestedBy,
              access,
              separationOfDuties: ctx.policy.approval.separationOfDuties,
              approval: s.approval,
            },
            { approver: req.approver, notBefore: req.notBefore ?? null },
          ),
        ),
    },
  );

  setHandler(
    rejectUpdate,
    async (req) => {
      s.approval.rejection = {
        approver: req.approver,
        channel: req.channel,
        at: new Date().toISOString(),
        subject: 'reject',
        note: req.reason,
        notBefore: null,
      };
      await ctx.audit('reject', `rejected via ${req.channel}: ${req.reason}`, {
        approvedBy: req.approver,
        channel: req.channel,
      });
      return { stage: s.stage, message: decisionAcks.rejection(s.version, req.reason) };
    },
    { validator: (req: RejectRequest) => throwIf(rejectionProblem(s, access, req.approver, req.reason)) },
  );

  setHandler(
    pauseDecisionUpdate,
    (req) => {
      inbox.pauseDecision = req;
      return {
        stage: s.stage,
        message: decisionAcks.pauseDecision(req.decision),
      };
    },
    {
      validator: (req: PauseDecisionRequest) =>
        throwIf(
          pauseDecisionProblem(
            s.stage,
            access,
            { approver: req.approver, decision: String(req.decision) },
            inbox.pauseDecision,
          ),
        ),
    },
  );

  setHandler(
    cancelUpdate,
    (req) => {
      inbox.cancel = req;
      // The main flow sees a cancellation and undoes what reached production before it ends.
      ctx.main.cancel();
      return { stage: s.stage, message: decisionAcks.cancel(s.version) };
    },
    {
      validator: (req: CancelRequest) =>
        throwIf(cancelProblem(s.stage, access, req.requestedBy, inbox.cancel?.requestedBy ?? null)),
    },
  );

  setHandler(
    requestCanaryUpdate,
    async (req) => {
      await ctx.requestApproval(req.requestedBy, `canary promotion requested by ${req.requestedBy} via ${req.channel}`);
      return {
        stage: s.stage,
        message: `approval requested from ${s.approval.asked.length ? s.approval.asked.join(' and ') : `holders of ${rolesFor(access, s.kind === 'hotfix' ? 'hotfix-approve' : 'approve')}`}`,
      };
    },
    { validator: (req: CanaryRequest) => throwIf(canaryRequestProblem(s.stage, req.requestedBy)) },
  );
}

function throwIf(problem: string | null): void {
  if (problem !== null) throw new Error(problem);
}
