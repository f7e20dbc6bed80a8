// The messages a release understands: a status query, and updates for every human decision. Updates
// (not signals) so the caller learns at once whether its decision was accepted, and why not.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalChannel, ReleaseStage, ReleaseStatus } from './release';
import type { ReleasePolicy } from './policy';

export interface ApproveRequest {
  approver: string;
  channel: ApprovalChannel;
  note?: string | null;
  /** The canary may not start before this ISO time (the seed's "scheduled" trigger). */
  notBefore?: string | null;
}

export interface RejectRequest {
  approver: string;
  channel: ApprovalChannel;
  reason: string;
}

export interface PauseDecisionRequest {
  approver: string;
  channel: ApprovalChannel;
  decision: 'resume' | 'rollback';
  reason?: string | null;
}

export interface CanaryRequest {
  requestedBy: string;
  channel: ApprovalChannel;
}

export interface CancelRequest {
  /** Who cancels (the role the policy names for cancel). */
  requestedBy: string;
  channel: ApprovalChannel;
  reason?: string | null;
}

/**
 * A workflow's answer to "may this start?": it obtains the installation's policy from its worker and
 * decides. The update completes once decided; a refusal fails it (ApplicationFailure type Refused)
 * with the reason, and the workflow ends without having changed anything.
 */
export interface Admission {
  workflowId: string;
  runId: string;
  /** The policy this run is judged by, and its digest (null for runs recorded before digests). */
  policy: ReleasePolicy;
  policyDigest: string | null;
  /** One line for whoever started it. */
  message: string;
}

export const REFUSED_ERROR_TYPE = 'Refused';

export interface DecisionAck {
  stage: ReleaseStage;
  /** One line for the person who decided: what their decision did. */
  message: string;
}

export const statusQuery = defineQuery<ReleaseStatus>('status');
export const approveUpdate = defineUpdate<DecisionAck, [ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<DecisionAck, [RejectRequest]>('reject');
export const pauseDecisionUpdate = defineUpdate<DecisionAck, [PauseDecisionRequest]>('decide');
export const requestCanaryUpdate = defineUpdate<DecisionAck, [CanaryRequest]>('requestCanary');
export const cancelUpdate = defineUpdate<DecisionAck, [CancelRequest]>('cancel');
export const admissionUpdate = defineUpdate<Admission, []>('admission');

/** Sent by an environment's ledger to the workflow it has just granted the environment to. */
export const environmentGrantedSignal = defineSignal<[{ environment: string }]>('environmentGranted');
