// The vocabulary of a release: its stages, outcomes, gate results, approvals and canary evaluations.
// Shared by workflows (pure), activities, the CLI and the Slack gateway.
import type { LegacyReleasePolicy, ReleasePolicy } from './policy';

export type ReleaseKind = 'standard' | 'hotfix';

/** How a release ends: its last stage. REFUSED: the installation's policy refused the start (nothing changed). */
export const TERMINAL_STAGES = [
  'PROMOTED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'REJECTED',
  'GATES_FAILED',
  'SOAK_FAILED',
  'CANCELLED',
  'FAILED',
  'REFUSED',
] as const;

export type ReleaseOutcome = (typeof TERMINAL_STAGES)[number];

/** Where a release is now. Kept in the ReleaseStage search attribute. */
export type ReleaseStage =
  | 'DEV_GATES'
  | 'WAITING_FOR_ENVIRONMENT'
  | 'DEPLOYING_STAGING'
  | 'STAGING_SOAK'
  | 'AWAITING_APPROVAL'
  | 'CANARY'
  | 'CANARY_PAUSED'
  | 'PRODUCTION_ROLLOUT'
  | 'ROLLING_BACK'
  | ReleaseOutcome;

/** What the starter of a release may choose. Nothing here loosens a rule: the policy is the installation's. */
export interface ReleaseRequest {
  kind: ReleaseKind;
  version: string;
  commitSha: string;
  /** Who started the release ("@user"); may not approve it when separation of duties is on. */
  requestedBy: string;
  ciRunId: string | null;
  /** Hotfix only: the two people asked to approve. Naming them is not approving. */
  hotfixApprovers?: string[];
  /** Set when a person promotes an already promoted version again on purpose (--again): that earlier run. */
  repeatOf?: EarlierRun | null;
}

export interface EarlierRun {
  workflowId: string;
  runId: string;
  outcome: string;
  finishedAt: string | null;
}

export interface ReleaseInput extends ReleaseRequest {
  /**
   * Only in releases started by earlier code, which froze the starter's policy into the input. A
   * release started now ignores it: its policy comes from the installation (its worker's config).
   */
  policy?: LegacyReleasePolicy;
}

export type GateName =
  'ci-checks' | 'unit-coverage' | 'security-findings' | 'code-review' | 'e2e-tests' | 'load-tests' | 'security-scan';

export interface GateResult {
  gate: GateName;
  passed: boolean;
  /** One line a person understands: what was measured, against which threshold. */
  reason: string;
  /** Where the evidence lives (a CI run URL, a report), when known. */
  evidence: string | null;
}

export type ApprovalChannel = 'cli' | 'slack' | 'api';

export interface ApprovalRecord {
  approver: string;
  channel: ApprovalChannel;
  at: string;
  /** What was approved: the canary promotion, a hotfix, or a decision on a paused canary. */
  subject: 'canary' | 'hotfix' | 'resume' | 'rollback' | 'reject';
  note: string | null;
  /** The canary may not start before this time (the seed's "scheduled" trigger). */
  notBefore: string | null;
}

/** One measurement of a group of pods: the stable baseline or the canary. */
export interface MetricSample {
  /** Requests seen in the window; null when the query returned no data. */
  requests: number | null;
  errorRatePct: number | null;
  p99Ms: number | null;
  availabilityPct: number | null;
  /** Set when the measurement itself failed (query error, timeout). */
  queryError: string | null;
}

export interface ServiceHealth {
  service: string;
  healthy: boolean;
  version: string | null;
  detail: string;
}

export type CheckName = 'error-rate' | 'availability' | 'p99-latency' | 'health' | 'data' | 'traffic-share';

export interface CheckResult {
  check: CheckName;
  outcome: 'pass' | 'breach' | 'inconclusive';
  reason: string;
}

export type CanaryVerdict = 'pass' | 'rollback' | 'pause' | 'inconclusive';

export interface CanaryEvaluation {
  at: string;
  /** Canary time elapsed (paused time excluded) when the evaluation ran. */
  canaryElapsedMs: number;
  baseline: MetricSample;
  canary: MetricSample;
  health: ServiceHealth[];
  checks: CheckResult[];
  verdict: CanaryVerdict;
  reason: string;
  /** Each service judged against its own baseline (evaluations recorded before per-service judgement have none). */
  services?: ServiceEvaluation[];
  /** The canary weight this evaluation judged, in percent of requests. */
  weightPct?: number;
}

/** One service's measurements and checks within a canary evaluation. */
export interface ServiceEvaluation {
  service: string;
  baseline: MetricSample;
  canary: MetricSample;
  /** canary / (canary + stable) requests in the window, in percent; null without data. */
  observedSharePct: number | null;
  checks: CheckResult[];
  verdict: CanaryVerdict;
}

/** A canary step: its place among the steps and the weight it gives the canary. */
export interface CanaryStep {
  index: number;
  of: number;
  weightPct: number;
}

/** One service's traffic split as the router reports it: percentages of requests, summing to 100. */
export interface ServiceWeights {
  service: string;
  stable: number;
  canary: number;
}

export interface StageTransition {
  from: ReleaseStage | null;
  to: ReleaseStage;
  at: string;
  reason: string;
}

export interface SoakState {
  startedAt: string | null;
  /** When the current continuous healthy period will reach the soak duration. */
  endsAt: string | null;
  restarts: number;
  checks: number;
  lastCheck: { at: string; healthy: boolean; reason: string } | null;
  completedAt: string | null;
}

export interface CanaryState {
  startedAt: string | null;
  requiredMs: number;
  elapsedMs: number;
  /** Estimated end if nothing pauses it. */
  endsAt: string | null;
  paused: { since: string; reason: string } | null;
  /** The step the canary is in (absent for releases that ran before steps existed: one step). */
  step?: CanaryStep;
  /** The split the router last reported (absent for releases that ran before routing was its own step). */
  weights?: ServiceWeights[];
  evaluations: CanaryEvaluation[];
  consecutiveBreaches: number;
  consecutiveSlowdowns: number;
  consecutiveInconclusive: number;
}

export interface ApprovalState {
  requestedAt: string | null;
  requestedBy: string | null;
  required: number;
  /** People asked to approve (hotfix); empty means anyone holding the approver role. */
  asked: string[];
  approvals: ApprovalRecord[];
  rejection: ApprovalRecord | null;
  notBefore: string | null;
  deadlineAt: string | null;
}

export interface RollbackState {
  reason: string;
  startedAt: string;
  steps: Array<{ step: string; ok: boolean; detail: string; at: string }>;
}

/** Everything `status` shows; also the source of the evidence files. */
export interface ReleaseStatus {
  workflowId: string;
  /** This run of the workflow ID (a version may be promoted again after a rollback). */
  runId: string;
  version: string;
  kind: ReleaseKind;
  commitSha: string;
  requestedBy: string;
  ciRunId: string | null;
  stage: ReleaseStage;
  outcome: ReleaseOutcome | null;
  outcomeReason: string | null;
  startedAt: string;
  gates: GateResult[];
  soak: SoakState;
  approval: ApprovalState;
  canary: CanaryState;
  rollback: RollbackState | null;
  /** Production version before this release, restored on failure. */
  previousProductionVersion: string | null;
  history: StageTransition[];
  waitingFor: string | null;
  policy: ReleasePolicy;
  /** The digest of the policy (null for releases recorded before the installation owned it). */
  policyDigest: string | null;
  repeatOf: EarlierRun | null;
}

export interface ReleaseResult {
  version: string;
  outcome: ReleaseOutcome;
  reason: string;
  stage: ReleaseStage;
  finishedAt: string;
}
