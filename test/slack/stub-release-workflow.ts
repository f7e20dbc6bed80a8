// A stand-in for the release workflow, for the Slack gateway tests: the same message names
// (statusQuery, approveUpdate, rejectUpdate, pauseDecisionUpdate, cancelUpdate) and the same
// validators, which call the real pure decision rules, but no stages to run through. It waits for the decisions and moves
// on like the release would: approved → CANARY, rejected → REJECTED, paused canary → CANARY or
// ROLLING_BACK.
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { approvalProblem, approvalProgress, approvalsComplete } from '../../src/shared/approval-rules';
import { cancelProblem, decisionAcks, pauseDecisionProblem, rejectionProblem } from '../../src/shared/decision-rules';
import { defaultPermissions, type AccessPolicy } from '../../src/shared/authorization';
import {
  approveUpdate,
  cancelUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  statusQuery,
  type ApproveRequest,
  type CancelRequest,
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
  /** Who holds which role and which role each action needs; default: approvers hold RELEASE_APPROVER, needed for everything. */
  access?: AccessPolicy;
  /** Approvals needed; default 1 (a hotfix asks two named people). */
  required?: number;
  asked?: string[];
  /** Where the release starts: AWAITING_APPROVAL by default, CANARY_PAUSED for pause decisions. */
  stage?: ReleaseStage;
}

export async function stubReleaseWorkflow(input: StubReleaseInput): Promise<ReleaseStage> {
  const startedAt = new Date().toISOString();
  const s: ReleaseStatus = {
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
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
    canary: {
      startedAt: null,
      requiredMs: 30 * 60_000,
      elapsedMs: 0,
      endsAt: null,
      paused: null,
      evaluations: [],
      consecutiveBreaches: 0,
      consecutiveSlowdowns: 0,
      consecutiveInconclusive: 0,
    },
    rollback: null,
    previousProductionVersion: 'v1.0.0',
    history: [],
    waitingFor:
      input.stage === 'CANARY_PAUSED' ? 'a decision on the paused canary' : 'approval from a RELEASE_APPROVER',
    policy: policy(input.access ?? { roles: { RELEASE_APPROVER: input.approvers }, permissions: defaultPermissions() }),
    policyDigest: 'sha256:stub',
    repeatOf: null,
  };
  const { access } = s.policy;
  // An object, not a variable: the handlers set it, and TypeScript cannot see that across closures.
  const inbox: { pauseDecision: PauseDecisionRequest | null; cancel: CancelRequest | null } = {
    pauseDecision: null,
    cancel: null,
  };

  setHandler(statusQuery, () => s);

  setHandler(
    approveUpdate,
    (req) => {
      const subject = s.kind === 'hotfix' ? 'hotfix' : 'canary';
      s.approval.approvals.push({
        approver: req.approver,
        channel: req.channel,
        at: new Date().toISOString(),
        subject,
        note: req.note ?? null,
        notBefore: req.notBefore ?? null,
      });
      const progress = approvalProgress(s.approval);
      return { stage: s.stage, message: decisionAcks.approval(progress, approvalsComplete(s.approval)) };
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
              separationOfDuties: true,
              approval: s.approval,
            },
            { approver: req.approver, notBefore: req.notBefore ?? null },
          ),
        ),
    },
  );

  setHandler(
    rejectUpdate,
    (req) => {
      s.approval.rejection = {
        approver: req.approver,
        channel: req.channel,
        at: new Date().toISOString(),
        subject: 'reject',
        note: req.reason,
        notBefore: null,
      };
      return { stage: s.stage, message: decisionAcks.rejection(s.version, req.reason) };
    },
    { validator: (req: RejectRequest) => throwIf(rejectionProblem(s, access, req.approver, req.reason)) },
  );

  setHandler(
    pauseDecisionUpdate,
    (req) => {
      inbox.pauseDecision = req;
      return { stage: s.stage, message: decisionAcks.pauseDecision(req.decision) };
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
      return { stage: s.stage, message: decisionAcks.cancel(s.version) };
    },
    {
      validator: (req: CancelRequest) =>
        throwIf(cancelProblem(s.stage, access, req.requestedBy, inbox.cancel?.requestedBy ?? null)),
    },
  );

  if (s.stage === 'CANARY_PAUSED') {
    await condition(() => inbox.pauseDecision !== null || inbox.cancel !== null);
    s.stage = inbox.cancel ? 'ROLLING_BACK' : inbox.pauseDecision?.decision === 'resume' ? 'CANARY' : 'ROLLING_BACK';
  } else {
    await condition(() => s.approval.rejection !== null || approvalsComplete(s.approval) || inbox.cancel !== null);
    if (inbox.cancel !== null) {
      s.stage = 'CANCELLED';
      s.outcome = 'CANCELLED';
      s.outcomeReason = `cancelled by ${inbox.cancel.requestedBy}`;
      return s.stage;
    }
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

function policy(access: AccessPolicy): ReleasePolicy {
  return {
    access,
    environments: ['staging', 'production'],
    stagingEnvironment: 'staging',
    productionEnvironment: 'production',
    devGates: { minCoveragePct: 80, blockingSeverities: ['critical', 'high'], requireCodeReview: true },
    soak: { durationMs: 7_200_000, healthCheckIntervalMs: 300_000, maxTotalMs: 28_800_000 },
    approval: { separationOfDuties: true, reminderIntervalMs: 3_600_000, deadlineMs: null },
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
