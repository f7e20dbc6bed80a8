// Sending a person's decision to a release as a workflow Update, and sorting the answer into what
// the person should be told. The workflow's validator is the judge: it refuses an unauthorized or
// repeated decision synchronously, with the reason, and nothing changes.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  cancelUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  statusQuery,
  type DecisionAck,
} from '../../shared/messages';
import type { ReleaseStatus } from '../../shared/release';

export type Decision =
  | { kind: 'approve'; note: string | null }
  | { kind: 'reject'; reason: string }
  | { kind: 'resume' }
  | { kind: 'rollback' }
  | { kind: 'cancel'; reason: string | null };

export type Verdict =
  | { outcome: 'accepted'; ack: DecisionAck }
  /** The validator refused because this person's same decision is already recorded: not an error. */
  | { outcome: 'repeat'; message: string }
  | { outcome: 'refused'; reason: string }
  /** The decision may not have reached the release (Temporal unreachable, timeout). */
  | { outcome: 'failed'; reason: string };

/**
 * `updateId` makes a re-delivery of the same Slack request idempotent even across gateway restarts:
 * Temporal answers a second Update with the same ID with the first one's outcome.
 */
export async function sendDecision(
  handle: WorkflowHandle,
  approver: string,
  decision: Decision,
  updateId: string,
  endedLine?: () => Promise<string>,
): Promise<Verdict> {
  try {
    const ack = await execute(handle, approver, decision, updateId);
    return { outcome: 'accepted', ack };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = err.cause?.message ?? err.message;
      const repeat = await recordedAlready(handle, approver, decision);
      return repeat === null ? { outcome: 'refused', reason } : { outcome: 'repeat', message: repeat };
    }
    // The release has ended: say how, rather than that the decision could not be delivered.
    if (err instanceof WorkflowNotFoundError && endedLine) {
      const ended = await endedLine().catch(() => null);
      if (ended !== null) return { outcome: 'refused', reason: ended };
    }
    const why = err instanceof Error ? err.message : String(err);
    return {
      outcome: 'failed',
      reason: `the decision could not be delivered to ${handle.workflowId} (${why}); trying again is safe: a repeated approval is recognised`,
    };
  }
}

function execute(handle: WorkflowHandle, approver: string, decision: Decision, updateId: string): Promise<DecisionAck> {
  switch (decision.kind) {
    case 'approve':
      return handle.executeUpdate(approveUpdate, {
        args: [{ approver, channel: 'slack', note: decision.note }],
        updateId,
      });
    case 'reject':
      return handle.executeUpdate(rejectUpdate, {
        args: [{ approver, channel: 'slack', reason: decision.reason }],
        updateId,
      });
    case 'resume':
    case 'rollback':
      return handle.executeUpdate(pauseDecisionUpdate, {
        args: [{ approver, channel: 'slack', decision: decision.kind }],
        updateId,
      });
    case 'cancel':
      return handle.executeUpdate(cancelUpdate, {
        args: [{ requestedBy: approver, channel: 'slack', reason: decision.reason }],
        updateId,
      });
  }
}

/**
 * After a refusal: is this the same person's decision, already recorded (a double click, or the
 * same command typed twice)? Read from the release's status rather than from the refusal's wording.
 */
async function recordedAlready(handle: WorkflowHandle, approver: string, decision: Decision): Promise<string | null> {
  let status: ReleaseStatus;
  try {
    status = await handle.query(statusQuery);
  } catch {
    return null;
  }
  if (decision.kind === 'approve') {
    const mine = status.approval.approvals.find(
      (a) => a.approver === approver && (a.subject === 'canary' || a.subject === 'hotfix'),
    );
    return mine
      ? `${approver} already approved ${status.version} (at ${mine.at} via ${mine.channel}); nothing more to do`
      : null;
  }
  if (decision.kind === 'reject') {
    const rejection = status.approval.rejection;
    return rejection?.approver === approver
      ? `${approver} already rejected ${status.version} (at ${rejection.at} via ${rejection.channel}); nothing more to do`
      : null;
  }
  return null;
}

/** True while the release still waits for more approvals, so the buttons should stay. */
export function stillNeedsApprovals(status: ReleaseStatus): boolean {
  const a = status.approval;
  return status.outcome === null && a.rejection === null && a.approvals.length < a.required;
}
