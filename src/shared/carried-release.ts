// What a release carries into its next run when a long pause makes it continue as new: its status
// (with its policy, frozen when it started), where its canary stands, and the bookkeeping that keeps
// the audit trail, the Slack thread and the environment leases continuous. Only the workflow itself
// sets it: a run accepts it only when Temporal says the run was continued from an earlier one.
import type { SeedStage } from './audit';
import type { CancelRequest, PauseDecisionRequest } from './messages';
import type { ReleaseInput, ReleaseStatus } from './release';

/** Where a paused canary stands: its step (from 0), the minimum duration still to run, the last reminder. */
export interface CanaryPosition {
  stepIndex: number;
  remainingMs: number;
  lastReminderAt: number;
}

export interface CarriedRelease {
  status: ReleaseStatus;
  canary: CanaryPosition;
  auditSeq: number;
  seedStage: SeedStage;
  threadTs: string | null;
  /** Whether the canary's traffic goes through the router (decided when the canary began). */
  routed: boolean;
  /** Environments the release holds or is queued for, and those granted to it. */
  held: string[];
  granted: string[];
  /** A decision or cancellation accepted while the run was handing over: the next run carries it out. */
  pauseDecision: PauseDecisionRequest | null;
  cancel: CancelRequest | null;
}

/** A release workflow's input: what its starter asked for, and in a continued run what it carried. */
export interface ReleaseRunInput extends ReleaseInput {
  carried?: CarriedRelease;
}

/**
 * A paused run continues as new when Temporal suggests it, or at this many events at the latest: far
 * below Temporal's limits (51,200 events, 50 MB), so replaying a run stays quick.
 */
export const CONTINUE_AS_NEW_AT_EVENTS = 5000;

/**
 * Evaluations a continued run keeps in its status and metrics.json: the newest ones. The evaluations
 * of a paused canary repeat the hard-gate check; every earlier run's history still holds its own.
 */
export const CARRIED_EVALUATIONS = 100;
