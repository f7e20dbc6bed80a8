// Gate evaluation: turns the facts a gate provider gathered (CI checks, coverage, findings, reviews,
// test suites) into pass/fail results, each with a one-line reason. Pure: providers gather, this decides.
import type { DevGatePolicy } from './policy';
import type { GateResult } from './release';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

export interface CiCheck {
  name: string;
  /** success, failure, pending, neutral, skipped, cancelled, timed_out, action_required */
  conclusion: string;
  url: string | null;
}

export interface DevGateFacts {
  checks: CiCheck[];
  coveragePct: number | null;
  coverageSource: string | null;
  findings: Record<Severity, number> | null;
  findingsSource: string | null;
  review: { approved: boolean; approvers: string[]; changesRequestedBy: string[]; source: string | null } | null;
}

/** The outcome of an external test suite or scan (E2E, load, security scan in staging). */
export interface SuiteOutcome {
  passed: boolean;
  detail: string;
  evidence: string | null;
}

/** The staging suites, in the order they run (one activity each, so one suite's error re-runs only it). */
export const STAGING_SUITES = ['e2e-tests', 'load-tests', 'security-scan'] as const;
export type StagingSuite = (typeof STAGING_SUITES)[number];

const SUITE_LABELS: Record<StagingSuite, string> = {
  'e2e-tests': 'E2E tests',
  'load-tests': 'load tests',
  'security-scan': 'security scan',
};

export interface StagingGateFacts {
  e2e: SuiteOutcome;
  load: SuiteOutcome;
  securityScan: SuiteOutcome;
}

const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

export function evaluateDevGates(facts: DevGateFacts, policy: DevGatePolicy): GateResult[] {
  return [
    ciChecksGate(facts.checks),
    coverageGate(facts, policy),
    findingsGate(facts, policy),
    reviewGate(facts, policy),
  ];
}

function ciChecksGate(checks: CiCheck[]): GateResult {
  if (checks.length === 0) {
    return { gate: 'ci-checks', passed: false, reason: 'no CI checks reported for this commit', evidence: null };
  }
  const failing = checks.filter((c) => !PASSING_CONCLUSIONS.has(c.conclusion));
  if (failing.length === 0) {
    return { gate: 'ci-checks', passed: true, reason: `all ${checks.length} CI checks passed`, evidence: null };
  }
  const list = failing.map((c) => `${c.name} (${c.conclusion})`).join(', ');
  return {
    gate: 'ci-checks',
    passed: false,
    reason: `${failing.length} of ${checks.length} CI checks not passing: ${list}`,
    evidence: failing[0]?.url ?? null,
  };
}

function coverageGate(facts: DevGateFacts, policy: DevGatePolicy): GateResult {
  const evidence = facts.coverageSource;
  if (facts.coveragePct === null) {
    return { gate: 'unit-coverage', passed: false, reason: 'unit test coverage was not reported', evidence };
  }
  const value = round(facts.coveragePct);
  const passed = facts.coveragePct >= policy.minCoveragePct;
  const op = passed ? '≥' : '<';
  return {
    gate: 'unit-coverage',
    passed,
    reason: `unit coverage ${value}% ${op} ${policy.minCoveragePct}% required`,
    evidence,
  };
}

function findingsGate(facts: DevGateFacts, policy: DevGatePolicy): GateResult {
  const evidence = facts.findingsSource;
  if (facts.findings === null) {
    return { gate: 'security-findings', passed: false, reason: 'security findings were not reported', evidence };
  }
  const findings = facts.findings;
  const blocking = policy.blockingSeverities.filter((s) => findings[s] > 0);
  if (blocking.length === 0) {
    return {
      gate: 'security-findings',
      passed: true,
      reason: `no ${policy.blockingSeverities.join('/')} security findings`,
      evidence,
    };
  }
  const list = blocking.map((s) => `${findings[s]} ${s}`).join(', ');
  return { gate: 'security-findings', passed: false, reason: `blocking security findings: ${list}`, evidence };
}

function reviewGate(facts: DevGateFacts, policy: DevGatePolicy): GateResult {
  const evidence = facts.review?.source ?? null;
  if (!policy.requireCodeReview) {
    return { gate: 'code-review', passed: true, reason: 'code review not required by policy', evidence };
  }
  const review = facts.review;
  if (review === null) {
    return { gate: 'code-review', passed: false, reason: 'no pull request review found for this commit', evidence };
  }
  if (review.changesRequestedBy.length > 0) {
    return {
      gate: 'code-review',
      passed: false,
      reason: `changes requested by ${review.changesRequestedBy.join(', ')}`,
      evidence,
    };
  }
  if (!review.approved) {
    return { gate: 'code-review', passed: false, reason: 'pull request has no approving review', evidence };
  }
  return {
    gate: 'code-review',
    passed: true,
    reason: `code review approved by ${review.approvers.join(', ')}`,
    evidence,
  };
}

export function evaluateStagingSuite(suite: StagingSuite, o: SuiteOutcome): GateResult {
  return {
    gate: suite,
    passed: o.passed,
    reason: `${SUITE_LABELS[suite]} ${o.passed ? 'passed' : 'failed'}: ${o.detail}`,
    evidence: o.evidence,
  };
}

export function evaluateStagingGates(facts: StagingGateFacts): GateResult[] {
  return [
    evaluateStagingSuite('e2e-tests', facts.e2e),
    evaluateStagingSuite('load-tests', facts.load),
    evaluateStagingSuite('security-scan', facts.securityScan),
  ];
}

export function failedGatesSummary(results: GateResult[]): string | null {
  const failed = results.filter((r) => !r.passed);
  return failed.length === 0 ? null : failed.map((r) => `${r.gate}: ${r.reason}`).join('; ');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
