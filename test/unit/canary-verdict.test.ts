// The canary verdict at every threshold boundary, and the failure/inconclusive limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryComplete, decideCanaryAction, judgeCanary } from '../../src/shared/canary-verdict';
import type { CanaryPolicy, CanaryThresholds } from '../../src/shared/policy';
import type { MetricSample, ServiceHealth } from '../../src/shared/release';

const T: CanaryThresholds = {
  maxErrorRateIncreasePp: 1,
  maxP99IncreasePct: 10,
  minAvailabilityPct: 99.9,
  minRequestCount: 100,
};
const base: MetricSample = { requests: 5000, errorRatePct: 0.3, p99Ms: 200, availabilityPct: 99.97, queryError: null };
const good: MetricSample = { requests: 500, errorRatePct: 0.3, p99Ms: 200, availabilityPct: 99.95, queryError: null };
const healthy: ServiceHealth[] = [
  { service: 'api-gateway', healthy: true, version: 'v1.2.3', detail: 'ready' },
  { service: 'workers', healthy: true, version: 'v1.2.3', detail: 'ready' },
];

const cases: Array<{
  name: string;
  canary?: Partial<MetricSample>;
  baseline?: Partial<MetricSample>;
  health?: ServiceHealth[];
  verdict: string;
  reason: RegExp;
}> = [
  { name: 'all within thresholds', verdict: 'pass', reason: /error rate 0\.3% vs baseline 0\.3%: \+0 pp < 1 pp/ },
  { name: 'error rate +0.99 pp', canary: { errorRatePct: 1.29 }, verdict: 'pass', reason: /\+0\.99 pp < 1 pp/ },
  {
    name: 'error rate exactly +1 pp',
    canary: { errorRatePct: 1.3 },
    verdict: 'rollback',
    reason: /error rate 1\.3% vs baseline 0\.3%: \+1 pp ≥ 1 pp/,
  },
  // Baselines whose +1 pp is not exact in binary floating point (1.4 − 0.4 = 0.9999999999999999).
  {
    name: 'error rate exactly +1 pp over 0.4%',
    baseline: { errorRatePct: 0.4 },
    canary: { errorRatePct: 1.4 },
    verdict: 'rollback',
    reason: /1\.4% vs baseline 0\.4%: \+1 pp ≥ 1 pp/,
  },
  {
    name: 'error rate exactly +1 pp over 0.9%',
    baseline: { errorRatePct: 0.9 },
    canary: { errorRatePct: 1.9 },
    verdict: 'rollback',
    reason: /1\.9% vs baseline 0\.9%: \+1 pp ≥ 1 pp/,
  },
  {
    name: 'error rate exactly +1 pp over 0.7%',
    baseline: { errorRatePct: 0.7 },
    canary: { errorRatePct: 1.7 },
    verdict: 'rollback',
    reason: /1\.7% vs baseline 0\.7%: \+1 pp ≥ 1 pp/,
  },
  {
    name: 'error rate 2.4% vs 0.3%',
    canary: { errorRatePct: 2.4 },
    verdict: 'rollback',
    reason: /error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/,
  },
  { name: 'error rate below baseline', canary: { errorRatePct: 0.1 }, verdict: 'pass', reason: /−0\.2 pp < 1 pp/ },
  {
    name: 'availability exactly 99.9%',
    canary: { availabilityPct: 99.9 },
    verdict: 'pass',
    reason: /availability 99\.9% ≥ 99\.9%/,
  },
  {
    name: 'availability 99.89%',
    canary: { availabilityPct: 99.89 },
    verdict: 'rollback',
    reason: /availability 99\.89% < 99\.9%/,
  },
  { name: 'P99 +9.99%', canary: { p99Ms: 219.98 }, verdict: 'pass', reason: /\+9\.99% < 10%/ },
  {
    name: 'P99 exactly +10%',
    canary: { p99Ms: 220 },
    verdict: 'pause',
    reason: /P99 220 ms vs baseline 200 ms: \+10% ≥ 10%/,
  },
  {
    name: 'P99 exactly +10% over 110 ms',
    baseline: { p99Ms: 110 },
    canary: { p99Ms: 121 },
    verdict: 'pause',
    reason: /P99 121 ms vs baseline 110 ms: \+10% ≥ 10%/,
  },
  {
    name: 'P99 exactly +10% over 12 ms',
    baseline: { p99Ms: 12 },
    canary: { p99Ms: 13.2 },
    verdict: 'pause',
    reason: /P99 13\.2 ms vs baseline 12 ms: \+10% ≥ 10%/,
  },
  {
    name: 'P99 and error rate both breach: rollback wins',
    canary: { p99Ms: 300, errorRatePct: 5 },
    verdict: 'rollback',
    reason: /error rate 5%/,
  },
  {
    name: 'failed health check',
    health: [{ service: 'workers', healthy: false, version: 'v1.2.3', detail: 'readiness 0/1' }],
    verdict: 'rollback',
    reason: /health check failed: workers \(readiness 0\/1\)/,
  },
  { name: 'no health reported', health: [], verdict: 'inconclusive', reason: /no canary services reported health/ },
  { name: 'exactly the minimum traffic', canary: { requests: 100 }, verdict: 'pass', reason: /healthy/ },
  {
    name: 'one request short of the minimum',
    canary: { requests: 99 },
    verdict: 'inconclusive',
    reason: /too little canary traffic: 99 requests < 100 minimum/,
  },
  {
    name: 'low traffic hides an error-rate spike',
    canary: { requests: 5, errorRatePct: 20 },
    verdict: 'inconclusive',
    reason: /too little canary traffic/,
  },
  {
    name: 'low traffic still rolls back on failed health',
    canary: { requests: 5 },
    health: [{ service: 'api-gateway', healthy: false, version: 'v1', detail: 'crashloop' }],
    verdict: 'rollback',
    reason: /crashloop/,
  },
  {
    name: 'no canary data',
    canary: { requests: null, errorRatePct: null, p99Ms: null, availabilityPct: null },
    verdict: 'inconclusive',
    reason: /no canary traffic data/,
  },
  {
    name: 'canary query error',
    canary: { queryError: 'HTTP 503' },
    verdict: 'inconclusive',
    reason: /canary metrics query failed: HTTP 503/,
  },
  {
    name: 'baseline query error',
    baseline: { queryError: 'timeout' },
    verdict: 'inconclusive',
    reason: /baseline metrics query failed: timeout/,
  },
  {
    name: 'no baseline error rate',
    baseline: { errorRatePct: null },
    verdict: 'inconclusive',
    reason: /no baseline error-rate data/,
  },
  {
    name: 'no baseline P99',
    baseline: { p99Ms: null },
    verdict: 'inconclusive',
    reason: /no baseline P99 latency data/,
  },
];

for (const c of cases) {
  test(`verdict: ${c.name} → ${c.verdict}`, () => {
    const j = judgeCanary({ ...base, ...c.baseline }, { ...good, ...c.canary }, c.health ?? healthy, T);
    assert.equal(j.verdict, c.verdict);
    assert.match(j.reason, c.reason);
  });
}

const policy: CanaryPolicy = {
  weightPercent: 10,
  minDurationMs: 1_800_000,
  analysisIntervalMs: 60_000,
  failureLimit: 1,
  inconclusiveLimit: 3,
  pauseReminderIntervalMs: 900_000,
  thresholds: T,
};
const zero = { consecutiveBreaches: 0, consecutiveSlowdowns: 0, consecutiveInconclusive: 0 };

test('decision: a breach acts at once with the seed default failure limit of 1', () => {
  assert.equal(decideCanaryAction('rollback', 'r', zero, policy, false).action, 'rollback');
  assert.equal(decideCanaryAction('pause', 'p', zero, policy, false).action, 'pause');
});

test('decision: a failure limit of 2 tolerates one breach and acts on the second in a row', () => {
  const p = { ...policy, failureLimit: 2 };
  const first = decideCanaryAction('rollback', 'err', zero, p, false);
  assert.equal(first.action, 'continue');
  assert.match(first.reason, /breach 1 of 2 tolerated: err/);
  assert.equal(decideCanaryAction('rollback', 'err', first.counters, p, false).action, 'rollback');
  const reset = decideCanaryAction('pass', 'ok', first.counters, p, false);
  assert.deepEqual(reset.counters, zero);
  assert.equal(decideCanaryAction('rollback', 'err', reset.counters, p, false).action, 'continue');
});

test('decision: a P99 regression between two error-rate breaches breaks the row, and the other way round', () => {
  const p = { ...policy, failureLimit: 2 };
  const hard = decideCanaryAction('rollback', 'err', zero, p, false);
  const slow = decideCanaryAction('pause', 'p99', hard.counters, p, false);
  assert.equal(slow.action, 'continue');
  assert.deepEqual(slow.counters, { consecutiveBreaches: 0, consecutiveSlowdowns: 1, consecutiveInconclusive: 0 });
  assert.equal(decideCanaryAction('rollback', 'err', slow.counters, p, false).action, 'continue');
  assert.equal(decideCanaryAction('pause', 'p99', slow.counters, p, false).action, 'pause');
});

test('decision: inconclusive evaluations never pass and pause at the limit, never roll back', () => {
  let counters = zero;
  for (let i = 1; i <= 2; i++) {
    const d = decideCanaryAction('inconclusive', 'no data', counters, policy, false);
    assert.equal(d.action, 'continue');
    counters = d.counters;
  }
  const third = decideCanaryAction('inconclusive', 'no data', counters, policy, false);
  assert.equal(third.action, 'pause');
  assert.match(third.reason, /3 inconclusive evaluations in a row \(limit 3\): no data/);
});

test('decision: while paused only hard breaches act', () => {
  assert.equal(decideCanaryAction('rollback', 'err', zero, policy, true).action, 'rollback');
  assert.equal(decideCanaryAction('pause', 'p99', zero, policy, true).action, 'continue');
  const pausedInconclusive = decideCanaryAction(
    'inconclusive',
    'no data',
    { consecutiveBreaches: 0, consecutiveSlowdowns: 0, consecutiveInconclusive: 5 },
    policy,
    true,
  );
  assert.equal(pausedInconclusive.action, 'continue');
  assert.equal(pausedInconclusive.reason, 'inconclusive (6 in a row, while paused): no data');
});

test('completion needs the minimum duration and a passing last evaluation', () => {
  assert.equal(canaryComplete(1_799_999, policy, 'pass'), false);
  assert.equal(canaryComplete(1_800_000, policy, 'pass'), true);
  assert.equal(canaryComplete(1_800_000, policy, 'inconclusive'), false);
  assert.equal(canaryComplete(1_800_000, policy, null), false);
});
