// The messages a release understands: a status query, and updates for every human decision. Updates
// (not signals) so the caller learns at once whether its decision was accepted, and why not.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalChannel, ReleaseStage, ReleaseStatus } from './release';

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

/** Sent by an environment's ledger to the workflow it has just granted the environment to. */
export const environmentGrantedSignal = defineSignal<[{ environment: string }]>('environmentGranted');
