// A stand-in for the release workflow, for the Slack gateway tests: the same message names
// (statusQuery, approveUpdate, rejectUpdate, pauseDecisionUpdate) and the same validators, built on
// the real pure approval rules, but no stages to run through. It waits for the decisions and moves
// on like the release would: approved → CANARY, rejected → REJECTED, paused canary → CANARY or
// ROLLING_BACK.
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { approvalProblem, approvalProgress, approvalsComplete, approverRoleProblem } from '../../src/shared/approval-rules';
import {
  approveUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  statusQuery,
  type ApproveRequest,
  type PauseDecisionRequest,
  type RejectRequest,
} from '../../src/shared/messages';
import type { ReleasePolicy } from '../../src/shared/policy';
import type { ReleaseKind, ReleaseStage, ReleaseStatus } from '../../src/shared/release';

export interface StubReleaseInput {
  version: string;
  kind: ReleaseKind;
  requestedBy: string;
  approvers: string[];
  /** Approvals needed; default 1 (a hotfix asks two named people). */
  required?: number;
  asked?: string[];
  /** Where the release starts: AWAITING_APPROVAL by default, CANARY_PAUSED for pause decisions. */
  stage?: ReleaseStage;
}

const OPEN: ReleaseStage[] = ['DEV_GATES', 'WAITING_FOR_ENVIRONMENT', 'DEPLOYING_STAGING', 'STAGING_SOAK', 'AWAITING_APPROVAL'];

export async function stubReleaseWorkflow(input: StubReleaseInput): Promise<ReleaseStage> {
  const startedAt = new Date().toISOString();
  const s: ReleaseStatus = {
    workflowId: workflowInfo().workflowId,
    version: input.version,
    kind: input.kind,
    commitSha: 'abc1234',
    requestedBy: input.requestedBy,
    ciRunId: null,
    stage: input.stage ?? 'AWAITING_APPROVAL',
    outcome: null,
    outcomeReason: null,
    startedAt,
    gates: [{ gate: 'ci-checks', passed: true, reason: 'all checks passed', evidence: null }],
    soak: { startedAt: null, endsAt: null, restarts: 0, checks: 0, lastCheck: null, completedAt: null },
    approval: {
      requestedAt: startedAt,
      requestedBy: input.requestedBy,
      required: input.required ?? 1,
      asked: input.asked ?? [],
      approvals: [],
      rejection: null,
      notBefore: null,
      deadlineAt: null,
    },
    canary: { startedAt: null, requiredMs: 30 * 60_000, elapsedMs: 0, endsAt: null, paused: null, evaluations: [], consecutiveBreaches: 0, consecutiveSlowdowns: 0, consecutiveInconclusive: 0 },
    rollback: null,
    previousProductionVersion: 'v1.0.0',
    history: [],
    waitingFor: input.stage === 'CANARY_PAUSED' ? 'a decision on the paused canary' : 'approval from a RELEASE_APPROVER',
    policy: policy(input.approvers),
  };
  // An object, not a variable: the handlers set it, and TypeScript cannot see that across closures.
  const inbox: { pauseDecision: PauseDecisionRequest | null } = { pauseDecision: null };

  setHandler(statusQuery, () => s);

  setHandler(
    approveUpdate,
    (req) => {
      const subject = s.kind === 'hotfix' ? 'hotfix' : 'canary';
      s.approval.approvals.push({ approver: req.approver, channel: req.channel, at: new Date().toISOString(), subject, note: req.note ?? null, notBefore: req.notBefore ?? null });
      const progress = approvalProgress(s.approval);
      return { stage: s.stage, message: approvalsComplete(s.approval) ? `approved: ${progress}; the canary starts when every other condition holds` : `approval recorded: ${progress}` };
    },
    {
      validator: (req: ApproveRequest) =>
        throwIf(
          approvalProblem(
            { kind: s.kind, stage: s.stage, requestedBy: s.requestedBy, approvers: s.policy.approval.approvers, separationOfDuties: true, approval: s.approval },
            { approver: req.approver, notBefore: req.notBefore ?? null },
          ),
        ),
    },
  );

  setHandler(
    rejectUpdate,
    (req) => {
      s.approval.rejection = { approver: req.approver, channel: req.channel, at: new Date().toISOString(), subject: 'reject', note: req.reason, notBefore: null };
      return { stage: s.stage, message: `rejected: ${s.version} will not be promoted (${req.reason})` };
    },
    {
      validator: (req: RejectRequest) => {
        throwIf(approverRoleProblem(s.policy.approval.approvers, req.approver));
        if (!req.reason?.trim()) throw new Error('a rejection needs a reason');
        if (!OPEN.includes(s.stage)) throw new Error(`the release is ${s.stage}; only a release waiting for approval can be rejected (use rollback or cancel)`);
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
        if (s.stage !== 'CANARY_PAUSED') throw new Error(`the canary is not paused (stage ${s.stage})`);
        if (inbox.pauseDecision) throw new Error(`${inbox.pauseDecision.approver} has already decided: ${inbox.pauseDecision.decision}`);
      },
    },
  );

  if (s.stage === 'CANARY_PAUSED') {
    await condition(() => inbox.pauseDecision !== null);
    s.stage = inbox.pauseDecision?.decision === 'resume' ? 'CANARY' : 'ROLLING_BACK';
  } else {
    await condition(() => s.approval.rejection !== null || approvalsComplete(s.approval));
    if (s.approval.rejection !== null) {
      s.stage = 'REJECTED';
      s.outcome = 'REJECTED';
      s.outcomeReason = `rejected by ${s.approval.rejection.approver}: ${s.approval.rejection.note ?? ''}`;
      return s.stage;
    }
    s.stage = 'CANARY';
  }
  s.waitingFor = null;
  // Like a release in its canary: stays running (and queryable) until the test ends.
  await condition(() => s.outcome !== null);
  return s.stage;
}

function throwIf(problem: string | null): void {
  if (problem !== null) throw new Error(problem);
}

function policy(approvers: string[]): ReleasePolicy {
  return {
    stagingEnvironment: 'staging',
    productionEnvironment: 'production',
    devGates: { minCoveragePct: 80, blockingSeverities: ['critical', 'high'], requireCodeReview: true },
    soak: { durationMs: 7_200_000, healthCheckIntervalMs: 300_000, maxTotalMs: 28_800_000 },
    approval: { approvers, separationOfDuties: true, reminderIntervalMs: 3_600_000, deadlineMs: null },
    canary: {
      weightPercent: 10,
      minDurationMs: 1_800_000,
      analysisIntervalMs: 60_000,
      failureLimit: 1,
      inconclusiveLimit: 3,
      pauseReminderIntervalMs: 900_000,
      thresholds: { maxErrorRateIncreasePp: 1, maxP99IncreasePct: 10, minAvailabilityPct: 99.9, minRequestCount: 100 },
    },
    hotfix: { requiredApprovals: 2 },
    webUiUrl: 'http://localhost:8233',
    namespace: 'default',
  };
}
