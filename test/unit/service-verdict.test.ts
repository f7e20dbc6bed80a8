// The canary judged per service: each service against its own baseline, its observed share of
// requests against the intended weight, and the verdict naming the service that decided it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combinedSample, judgeServices, type ServiceSample } from '../../src/shared/service-verdict';
import type { CanaryThresholds } from '../../src/shared/policy';
import type { MetricSample, ServiceHealth } from '../../src/shared/release';

const T: CanaryThresholds = {
  maxErrorRateIncreasePp: 1,
  maxP99IncreasePct: 10,
  minAvailabilityPct: 99.9,
  minRequestCount: 100,
};
const TRAFFIC = { weightPct: 10, tolerancePp: 5 };
const m = (requests: number | null, errorRatePct = 0.05, p99Ms = 200): MetricSample => ({
  requests,
  errorRatePct,
  p99Ms,
  availabilityPct: errorRatePct === null ? null : 100 - errorRatePct,
  queryError: null,
});
const healthy: ServiceHealth[] = ['api-gateway', 'orchestrator', 'workers'].map((service) => ({
  service,
  healthy: true,
  version: 'v1.2.3',
  detail: 'ready',
}));

/** api-gateway 80% of all requests, orchestrator 18%, workers 2%; the canary gets 10% of each. */
function fleet(overrides: Partial<Record<string, Partial<ServiceSample>>> = {}): ServiceSample[] {
  const all: Record<string, number> = { 'api-gateway': 80_000, orchestrator: 18_000, workers: 2_000 };
  return Object.entries(all).map(([service, n]) => ({
    service,
    baseline: m(n * 0.9),
    canary: m(n * 0.1),
    ...overrides[service],
  }));
}

const cases: Array<{ name: string; samples: ServiceSample[]; verdict: string; reason: RegExp; not?: RegExp }> = [
  {
    name: 'every service within thresholds at 10%',
    samples: fleet(),
    verdict: 'pass',
    reason:
      /^all 3 canary services healthy; within thresholds: api-gateway 10% of requests, error rate 0\.05% vs 0\.05%, P99 200 ms vs 200 ms, availability 99\.95%; orchestrator .*; workers 10% of requests/,
  },
  {
    name: 'an error regression in the lowest-traffic service (2% of requests) rolls back and names it',
    samples: fleet({ workers: { canary: m(200, 2.4) } }),
    verdict: 'rollback',
    reason: /^workers: error rate 2\.4% vs baseline 0\.05%: \+2\.35 pp ≥ 1 pp; workers: availability 97\.6% < 99\.9%$/,
  },
  {
    name: 'a P99 regression in one service pauses and names it',
    samples: fleet({ orchestrator: { canary: m(1_800, 0.05, 240) } }),
    verdict: 'pause',
    reason: /^orchestrator: P99 240 ms vs baseline 200 ms: \+20% ≥ 10%$/,
  },
  {
    name: 'a canary that receives no requests is inconclusive with its share',
    samples: fleet({ workers: { canary: m(0) } }),
    verdict: 'inconclusive',
    reason: /workers: canary got 0% of requests, 10% intended: 10 pp off > ±5 pp tolerance/,
  },
  {
    name: 'a canary that receives half the requests is inconclusive with its share, never a pass',
    samples: fleet({ orchestrator: { baseline: m(9_000), canary: m(9_000) } }),
    verdict: 'inconclusive',
    reason: /orchestrator: canary got 50% of requests, 10% intended: 40 pp off > ±5 pp tolerance/,
  },
  {
    name: 'a share exactly at the tolerance edge (15%) passes',
    samples: fleet({ workers: { baseline: m(1_700), canary: m(300) } }),
    verdict: 'pass',
    reason: /workers 15% of requests/,
  },
  {
    name: 'a breach acts even when the share is off',
    samples: fleet({ workers: { baseline: m(1_000), canary: m(1_000, 5) } }),
    verdict: 'rollback',
    reason: /^workers: error rate 5%/,
  },
  {
    name: 'too little traffic in one service is inconclusive for it',
    samples: fleet({ workers: { baseline: m(900), canary: m(99) } }),
    verdict: 'inconclusive',
    reason: /workers: too little canary traffic: 99 requests < 100 minimum/,
    not: /api-gateway/,
  },
  {
    name: 'a failed query is inconclusive, with an unknown share',
    samples: fleet({ orchestrator: { canary: { ...m(null), queryError: 'HTTP 503' } } }),
    verdict: 'inconclusive',
    reason:
      /orchestrator: the canary's share of requests is unknown; orchestrator: canary metrics query failed: HTTP 503/,
  },
  {
    name: 'no service data at all is inconclusive',
    samples: fleet({ workers: { baseline: m(null), canary: m(null) } }),
    verdict: 'inconclusive',
    reason: /workers: no requests to measure the canary share; workers: no canary traffic data/,
  },
  { name: 'no services measured', samples: [], verdict: 'inconclusive', reason: /^no services were measured$/ },
];

for (const c of cases) {
  test(`per service: ${c.name}`, () => {
    const j = judgeServices(c.samples, healthy, T, TRAFFIC);
    assert.equal(j.verdict, c.verdict, j.reason);
    assert.match(j.reason, c.reason);
    if (c.not) assert.doesNotMatch(j.reason, c.not);
    assert.equal(j.services.length, c.samples.length);
  });
}

test('per service: a failed health check rolls back whatever the metrics say', () => {
  const sick = healthy.map((h) => (h.service === 'workers' ? { ...h, healthy: false, detail: 'crashloop' } : h));
  const j = judgeServices(fleet(), sick, T, TRAFFIC);
  assert.equal(j.verdict, 'rollback');
  assert.match(j.reason, /health check failed: workers \(crashloop\)/);
});

test('per service: each service keeps its own values and verdict', () => {
  const j = judgeServices(fleet({ workers: { canary: m(200, 2.4) } }), healthy, T, TRAFFIC);
  const byName = Object.fromEntries(j.services.map((s) => [s.service, s]));
  assert.equal(byName.workers!.verdict, 'rollback');
  assert.equal(byName['api-gateway']!.verdict, 'pass');
  assert.equal(byName.workers!.observedSharePct, 10);
  assert.equal(byName.workers!.canary.errorRatePct, 2.4);
});

test('combined sample: requests summed, rates weighted by requests, the worst P99', () => {
  const c = combinedSample([m(900, 0.1, 200), m(100, 2.1, 400), m(null, 0.05, 100)]);
  assert.equal(c.requests, 1000);
  assert.equal(Math.round(c.errorRatePct! * 1000) / 1000, 0.3);
  assert.equal(c.p99Ms, 400);
  assert.equal(combinedSample([m(null)]).requests, null);
  assert.equal(combinedSample([{ ...m(null), queryError: 'HTTP 503' }]).queryError, 'HTTP 503');
});
