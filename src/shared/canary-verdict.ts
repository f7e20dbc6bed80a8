// Canary judgement: compares the canary with the stable baseline and decides what to do.
// Pure, so the workflow, the tests and `status` agree on every verdict and its reason.
//
// Readings of the seed, written down in the README:
// - "Error rate <1% increase" is percentage points over the stable baseline: 0.3% → 1.3% breaches.
// - "P99 latency <10% increase" is relative to the baseline P99: 200 ms → 220 ms breaches.
// - "Availability ≥99.9%" is the canary's own availability, with no baseline.
// - Below the minimum request count the rate-based checks are inconclusive (a handful of requests
//   says nothing), while health checks still apply. Inconclusive is never a pass.
import type { CanaryPolicy, CanaryThresholds } from './policy';
import type { CanaryVerdict, CheckResult, MetricSample, ServiceHealth } from './release';

export interface Judgement {
  checks: CheckResult[];
  verdict: CanaryVerdict;
  reason: string;
}

export function judgeCanary(
  baseline: MetricSample,
  canary: MetricSample,
  health: ServiceHealth[],
  thresholds: CanaryThresholds,
): Judgement {
  const checks: CheckResult[] = [healthCheck(health), ...metricChecks(baseline, canary, thresholds)];
  return { checks, ...combineChecks(checks) };
}

/** Hard breaches roll back, a P99 regression pauses, missing data is inconclusive, else pass. */
export function combineChecks(checks: CheckResult[]): { verdict: CanaryVerdict; reason: string } {
  const hard = checks.filter((c) => c.outcome === 'breach' && c.check !== 'p99-latency');
  const soft = checks.filter((c) => c.outcome === 'breach' && c.check === 'p99-latency');
  const unknown = checks.filter((c) => c.outcome === 'inconclusive');
  if (hard.length > 0) return { verdict: 'rollback', reason: joinReasons(hard) };
  if (soft.length > 0) return { verdict: 'pause', reason: joinReasons(soft) };
  if (unknown.length > 0) return { verdict: 'inconclusive', reason: joinReasons(unknown) };
  return { verdict: 'pass', reason: joinReasons(checks) };
}

export function healthCheck(health: ServiceHealth[]): CheckResult {
  if (health.length === 0)
    return { check: 'health', outcome: 'inconclusive', reason: 'no canary services reported health' };
  const sick = health.filter((h) => !h.healthy);
  if (sick.length > 0) {
    return {
      check: 'health',
      outcome: 'breach',
      reason: `health check failed: ${sick.map((h) => `${h.service} (${h.detail})`).join(', ')}`,
    };
  }
  return { check: 'health', outcome: 'pass', reason: `all ${health.length} canary services healthy` };
}

export function metricChecks(baseline: MetricSample, canary: MetricSample, t: CanaryThresholds): CheckResult[] {
  const dataProblem = dataProblemOf(baseline, canary, t);
  if (dataProblem !== null) return [{ check: 'data', outcome: 'inconclusive', reason: dataProblem }];
  return [errorRateCheck(baseline, canary, t), availabilityCheck(canary, t), p99Check(baseline, canary, t)];
}

function dataProblemOf(baseline: MetricSample, canary: MetricSample, t: CanaryThresholds): string | null {
  if (canary.queryError !== null) return `canary metrics query failed: ${canary.queryError}`;
  if (baseline.queryError !== null) return `baseline metrics query failed: ${baseline.queryError}`;
  if (canary.requests === null) return 'no canary traffic data';
  if (canary.requests < t.minRequestCount) {
    return `too little canary traffic: ${fmt(canary.requests)} requests < ${t.minRequestCount} minimum`;
  }
  return null;
}

function errorRateCheck(baseline: MetricSample, canary: MetricSample, t: CanaryThresholds): CheckResult {
  if (canary.errorRatePct === null || baseline.errorRatePct === null) {
    const which = canary.errorRatePct === null ? 'canary' : 'baseline';
    return { check: 'error-rate', outcome: 'inconclusive', reason: `no ${which} error-rate data` };
  }
  const delta = exact(canary.errorRatePct - baseline.errorRatePct);
  const breach = delta >= t.maxErrorRateIncreasePp;
  const sign = delta >= 0 ? '+' : '−';
  return {
    check: 'error-rate',
    outcome: breach ? 'breach' : 'pass',
    reason: `error rate ${fmt(canary.errorRatePct)}% vs baseline ${fmt(baseline.errorRatePct)}%: ${sign}${fmt(Math.abs(delta))} pp ${breach ? '≥' : '<'} ${t.maxErrorRateIncreasePp} pp`,
  };
}

function availabilityCheck(canary: MetricSample, t: CanaryThresholds): CheckResult {
  if (canary.availabilityPct === null)
    return { check: 'availability', outcome: 'inconclusive', reason: 'no canary availability data' };
  const breach = canary.availabilityPct < t.minAvailabilityPct;
  return {
    check: 'availability',
    outcome: breach ? 'breach' : 'pass',
    reason: `availability ${fmt(canary.availabilityPct)}% ${breach ? '<' : '≥'} ${t.minAvailabilityPct}%`,
  };
}

function p99Check(baseline: MetricSample, canary: MetricSample, t: CanaryThresholds): CheckResult {
  if (canary.p99Ms === null || baseline.p99Ms === null || baseline.p99Ms <= 0) {
    const which = canary.p99Ms === null ? 'canary' : 'baseline';
    return { check: 'p99-latency', outcome: 'inconclusive', reason: `no ${which} P99 latency data` };
  }
  const increasePct = exact(((canary.p99Ms - baseline.p99Ms) / baseline.p99Ms) * 100);
  const breach = increasePct >= t.maxP99IncreasePct;
  const sign = increasePct >= 0 ? '+' : '−';
  return {
    check: 'p99-latency',
    outcome: breach ? 'breach' : 'pass',
    reason: `P99 ${fmt(canary.p99Ms)} ms vs baseline ${fmt(baseline.p99Ms)} ms: ${sign}${fmt(Math.abs(increasePct))}% ${breach ? '≥' : '<'} ${t.maxP99IncreasePct}%`,
  };
}

/**
 * Removes floating-point noise before a threshold comparison: 1.4 − 0.4 is 0.9999999999999999 in
 * binary, and a +1 pp increase must breach a 1 pp limit exactly as the reason line says it does.
 */
function exact(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

export type CanaryAction = 'continue' | 'rollback' | 'pause';

export interface CanaryCounters {
  /** Evaluations in a row with a hard breach (error rate, availability, health): these roll back. */
  consecutiveBreaches: number;
  /** Evaluations in a row with a P99 regression and no hard breach: these pause. */
  consecutiveSlowdowns: number;
  consecutiveInconclusive: number;
}

export interface CanaryDecision {
  action: CanaryAction;
  counters: CanaryCounters;
  reason: string;
}

/**
 * What the canary does after an evaluation, given how many breaching or inconclusive evaluations
 * came before it in a row. While paused only hard breaches act (they still roll back); a P99
 * regression or missing data keeps the canary paused until a human decides.
 */
export function decideCanaryAction(
  verdict: CanaryVerdict,
  reason: string,
  before: CanaryCounters,
  policy: CanaryPolicy,
  paused: boolean,
): CanaryDecision {
  if (verdict === 'pass') {
    return {
      action: 'continue',
      counters: { consecutiveBreaches: 0, consecutiveSlowdowns: 0, consecutiveInconclusive: 0 },
      reason,
    };
  }
  if (verdict === 'inconclusive') {
    const counters = { ...before, consecutiveInconclusive: before.consecutiveInconclusive + 1 };
    if (!paused && counters.consecutiveInconclusive >= policy.inconclusiveLimit) {
      return {
        action: 'pause',
        counters,
        reason: `${counters.consecutiveInconclusive} inconclusive evaluations in a row (limit ${policy.inconclusiveLimit}): ${reason}`,
      };
    }
    const count = paused
      ? `${counters.consecutiveInconclusive} in a row, while paused`
      : `${counters.consecutiveInconclusive} of ${policy.inconclusiveLimit} before asking a human`;
    return { action: 'continue', counters, reason: `inconclusive (${count}): ${reason}` };
  }
  // Each kind of breach has its own row: a P99 regression between two error-rate breaches breaks
  // the error-rate row, and the other way round.
  const hard = verdict === 'rollback';
  const counters = hard
    ? { consecutiveBreaches: before.consecutiveBreaches + 1, consecutiveSlowdowns: 0, consecutiveInconclusive: 0 }
    : { consecutiveBreaches: 0, consecutiveSlowdowns: before.consecutiveSlowdowns + 1, consecutiveInconclusive: 0 };
  const inARow = hard ? counters.consecutiveBreaches : counters.consecutiveSlowdowns;
  if (inARow < policy.failureLimit) {
    return { action: 'continue', counters, reason: `breach ${inARow} of ${policy.failureLimit} tolerated: ${reason}` };
  }
  if (hard) return { action: 'rollback', counters, reason };
  return { action: paused ? 'continue' : 'pause', counters, reason };
}

/** The canary may finish only after its minimum duration, and only on a passing evaluation. */
export function canaryComplete(elapsedMs: number, policy: CanaryPolicy, lastVerdict: CanaryVerdict | null): boolean {
  return elapsedMs >= policy.minDurationMs && lastVerdict === 'pass';
}

function joinReasons(checks: CheckResult[]): string {
  return checks.map((c) => c.reason).join('; ');
}

/** Up to two decimals, no trailing zeros: 2.4, 0.35, 120. */
export function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}
