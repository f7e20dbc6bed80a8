// The other decisions on a running release (reject, resume or abort a paused canary, cancel, ask for
// the canary): which stages accept each, and who may make it. Pure: the release's update validators
// and the Slack stub call them, so a refused decision is refused the same way on every channel.
import { authorizationProblem, type AccessPolicy } from './authorization';
import { identityProblem } from './identifiers';
import { TERMINAL_STAGES, type ReleaseStage, type ReleaseStatus } from './release';

/** Before the canary: a release may still be approved, rejected, or asked about. */
export const OPEN_FOR_APPROVAL: ReadonlySet<ReleaseStage> = new Set([
  'DEV_GATES',
  'WAITING_FOR_ENVIRONMENT',
  'DEPLOYING_STAGING',
  'STAGING_SOAK',
  'AWAITING_APPROVAL',
]);

export function rejectionProblem(
  status: Pick<ReleaseStatus, 'stage' | 'approval'>,
  access: AccessPolicy,
  who: string,
  reason: string | undefined,
): string | null {
  const roleProblem = authorizationProblem(access, 'reject', who);
  if (roleProblem !== null) return roleProblem;
  if (!reason?.trim()) return 'a rejection needs a reason';
  if (!OPEN_FOR_APPROVAL.has(status.stage))
    return `the release is ${status.stage}; only a release waiting for approval can be rejected (use rollback or cancel)`;
  if (status.approval.rejection) return `already rejected by ${status.approval.rejection.approver}`;
  return null;
}

/** Resume or roll back a paused canary; `decided` is a decision already taken and not yet carried out. */
export function pauseDecisionProblem(
  stage: ReleaseStage,
  access: AccessPolicy,
  request: { approver: string; decision: string },
  decided: { approver: string; decision: string } | null,
): string | null {
  if (request.decision !== 'resume' && request.decision !== 'rollback')
    return `decision must be resume or rollback, not "${request.decision}"`;
  const roleProblem = authorizationProblem(
    access,
    request.decision === 'resume' ? 'resume' : 'abort',
    request.approver,
  );
  if (roleProblem !== null) return roleProblem;
  if (stage !== 'CANARY_PAUSED') return `the canary is not paused (stage ${stage})`;
  if (decided) return `${decided.approver} has already decided: ${decided.decision}`;
  return null;
}

export function cancelProblem(
  stage: ReleaseStage,
  access: AccessPolicy,
  who: string,
  cancelledBy: string | null,
): string | null {
  const roleProblem = authorizationProblem(access, 'cancel', who);
  if (roleProblem !== null) return roleProblem;
  if ((TERMINAL_STAGES as readonly ReleaseStage[]).includes(stage)) return `the release has already ended (${stage})`;
  if (cancelledBy !== null) return `already being cancelled by ${cancelledBy}`;
  if (stage === 'ROLLING_BACK') return 'the release is already rolling back';
  return null;
}

/** Asking for the canary is open to anyone: it asks the approvers, it decides nothing. */
export function canaryRequestProblem(stage: ReleaseStage, who: string): string | null {
  const idProblem = identityProblem(who);
  if (idProblem !== null) return idProblem;
  if (!OPEN_FOR_APPROVAL.has(stage)) return `the release is ${stage}; a canary can no longer be requested`;
  return null;
}

/** What a person is told when the release accepts their decision: the same words on every channel. */
export const decisionAcks = {
  approval: (progress: string, complete: boolean): string =>
    complete
      ? `approved: ${progress}; the canary starts when every other condition holds`
      : `approval recorded: ${progress}`,
  rejection: (version: string, reason: string): string => `rejected: ${version} will not be promoted (${reason})`,
  pauseDecision: (decision: 'resume' | 'rollback'): string =>
    decision === 'resume'
      ? 'resuming the canary; paused time does not count toward its minimum duration'
      : 'rolling back the canary',
  cancel: (version: string): string => `cancelling ${version}; anything it deployed to production is undone first`,
};
