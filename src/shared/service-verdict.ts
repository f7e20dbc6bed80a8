// Canary judgement per service: each service's canary is compared with its own stable baseline, so
// a regression in a low-traffic service is not diluted by the others, and each service's observed
// share of requests is compared with the weight it was meant to get, so a canary that received no
// traffic (or far too much) is never read as healthy. Any service's breach acts; its reason names it.
import { combineChecks, healthCheck, metricChecks, fmt, type Judgement } from './canary-verdict';
import type { CanaryThresholds } from './policy';
import type { CheckResult, MetricSample, ServiceEvaluation, ServiceHealth } from './release';
import { observedSharePct } from './traffic-share';

export interface ServiceSample {
  service: string;
  baseline: MetricSample;
  canary: MetricSample;
}

/** The share of requests the canary is meant to get, and how far the observed share may stray. */
export interface TrafficExpectation {
  weightPct: number;
  tolerancePp: number;
}

export interface ServicesJudgement extends Judgement {
  services: ServiceEvaluation[];
}

export function judgeServices(
  samples: ServiceSample[],
  health: ServiceHealth[],
  thresholds: CanaryThresholds,
  traffic: TrafficExpectation,
): ServicesJudgement {
  const services = samples.map((s) => judgeService(s, thresholds, traffic));
  if (services.length === 0) {
    const none: CheckResult = { check: 'data', outcome: 'inconclusive', reason: 'no services were measured' };
    return { checks: [healthCheck(health), none], verdict: 'inconclusive', reason: none.reason, services };
  }
  const checks = [healthCheck(health), ...services.flatMap((s) => s.checks)];
  const combined = combineChecks(checks);
  // A pass lists each service's figures in one short clause rather than every check's sentence.
  const reason =
    combined.verdict === 'pass'
      ? `${checks[0]!.reason}; within thresholds: ${services.map(passSummary).join('; ')}`
      : combined.reason;
  return { checks, verdict: combined.verdict, reason, services };
}

function passSummary(s: ServiceEvaluation): string {
  const { baseline: b, canary: c } = s;
  const figures = [
    s.observedSharePct === null ? null : `${fmt(s.observedSharePct)}% of requests`,
    c.errorRatePct === null || b.errorRatePct === null
      ? null
      : `error rate ${fmt(c.errorRatePct)}% vs ${fmt(b.errorRatePct)}%`,
    c.p99Ms === null || b.p99Ms === null ? null : `P99 ${fmt(c.p99Ms)} ms vs ${fmt(b.p99Ms)} ms`,
    c.availabilityPct === null ? null : `availability ${fmt(c.availabilityPct)}%`,
  ].filter((f) => f !== null);
  return `${s.service} ${figures.join(', ')}`;
}

/**
 * The services' samples summed into one, for displays that show a single line: requests added,
 * error rate and availability weighted by requests, P99 the worst service's (a P99 cannot be summed).
 */
export function combinedSample(samples: MetricSample[]): MetricSample {
  const errors = samples.flatMap((s) => (s.queryError === null ? [] : [s.queryError]));
  const counted = samples.filter((s) => s.requests !== null && s.requests > 0);
  const requests = counted.reduce((n, s) => n + s.requests!, 0);
  const weighted = (pick: (s: MetricSample) => number | null): number | null => {
    const known = counted.filter((s) => pick(s) !== null);
    if (known.length === 0) return null;
    const n = known.reduce((sum, s) => sum + s.requests!, 0);
    return known.reduce((sum, s) => sum + pick(s)! * s.requests!, 0) / n;
  };
  const p99s = samples.flatMap((s) => (s.p99Ms === null ? [] : [s.p99Ms]));
  return {
    requests: samples.every((s) => s.requests === null) ? null : requests,
    errorRatePct: weighted((s) => s.errorRatePct),
    p99Ms: p99s.length === 0 ? null : Math.max(...p99s),
    availabilityPct: weighted((s) => s.availabilityPct),
    queryError: errors.length === 0 ? null : errors.join('; '),
  };
}

function judgeService(s: ServiceSample, t: CanaryThresholds, traffic: TrafficExpectation): ServiceEvaluation {
  const share = observedSharePct(s.canary.requests, s.baseline.requests);
  const named = (c: CheckResult): CheckResult => ({ ...c, reason: `${s.service}: ${c.reason}` });
  const checks = [shareCheck(s, share, traffic), ...metricChecks(s.baseline, s.canary, t)].map(named);
  return {
    service: s.service,
    baseline: s.baseline,
    canary: s.canary,
    observedSharePct: share,
    checks,
    verdict: combineChecks(checks).verdict,
  };
}

function shareCheck(s: ServiceSample, share: number | null, traffic: TrafficExpectation): CheckResult {
  if (s.canary.queryError !== null || s.baseline.queryError !== null)
    return { check: 'traffic-share', outcome: 'inconclusive', reason: "the canary's share of requests is unknown" };
  if (share === null)
    return { check: 'traffic-share', outcome: 'inconclusive', reason: 'no requests to measure the canary share' };
  const offPp = Math.abs(share - traffic.weightPct);
  const within = offPp <= traffic.tolerancePp + 1e-9;
  const said = `canary got ${fmt(share)}% of requests, ${traffic.weightPct}% intended`;
  return within
    ? { check: 'traffic-share', outcome: 'pass', reason: `${said} (within ±${fmt(traffic.tolerancePp)} pp)` }
    : {
        check: 'traffic-share',
        outcome: 'inconclusive',
        reason: `${said}: ${fmt(offPp)} pp off > ±${fmt(traffic.tolerancePp)} pp tolerance`,
      };
}
