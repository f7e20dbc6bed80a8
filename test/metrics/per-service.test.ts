// The canary judged per service and its traffic share checked, on a real Prometheus holding a
// backfilled per-service history (test/helpers/prometheus.ts), with the production default PromQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PrometheusMetrics } from '../../src/activities/metrics/prometheus';
import { metricsSchema } from '../../src/config/integrations-schema';
import { judgeCanary } from '../../src/shared/canary-verdict';
import { judgeServices } from '../../src/shared/service-verdict';
import type { CanaryThresholds } from '../../src/shared/policy';
import type { ServiceHealth } from '../../src/shared/release';
import {
  EVALUATION_TIME,
  FLEET_SERVICES,
  MEASURED_SERVICES,
  startPrometheus,
  type RunningPrometheus,
  type Scenario,
} from '../helpers/prometheus';

const THRESHOLDS: CanaryThresholds = {
  maxErrorRateIncreasePp: 1,
  maxP99IncreasePct: 10,
  minAvailabilityPct: 99.9,
  minRequestCount: 100,
};
const TEN_PERCENT = { weightPct: 10, tolerancePp: 5 };
const healthy = (services: string[]): ServiceHealth[] =>
  services.map((service) => ({ service, healthy: true, version: '1.2.3', detail: 'ready' }));

void describe('per-service canary judgement against a real Prometheus', () => {
  let prometheus: RunningPrometheus;
  const metrics = (scenario: Scenario, extra: Record<string, unknown> = {}) => {
    const config = metricsSchema.parse({ provider: 'prometheus', baseUrl: prometheus.baseUrl, ...extra });
    assert.equal(config.provider, 'prometheus');
    return new PrometheusMetrics(config, { environment: scenario, evaluationTime: () => EVALUATION_TIME });
  };

  before(async () => {
    prometheus = await startPrometheus();
  });
  after(async () => {
    await prometheus?.stop();
  });

  void test('a regression in only the lowest-traffic service (2% of requests) rolls back and names it', async () => {
    const source = metrics('one-service-regression');
    const samples = await source.sampleServices(FLEET_SERVICES);
    const all = samples.reduce((n, s) => n + s.baseline.requests! + s.canary.requests!, 0);
    const workers = samples.find((s) => s.service === 'workers')!;
    const workersShare = (100 * (workers.baseline.requests! + workers.canary.requests!)) / all;
    assert.ok(Math.abs(workersShare - 2) < 0.1, `workers serve ${workersShare}% of all requests`);

    const judgement = judgeServices(samples, healthy(FLEET_SERVICES), THRESHOLDS, TEN_PERCENT);
    assert.equal(judgement.verdict, 'rollback', judgement.reason);
    assert.match(judgement.reason, /^workers: error rate 2\.\d+% vs baseline 0\.0\d+%: \+2\.\d+ pp ≥ 1 pp/);
    assert.doesNotMatch(judgement.reason, /api-gateway|orchestrator/);
    for (const s of judgement.services) {
      assert.ok(Math.abs(s.observedSharePct! - 10) < 0.5, `${s.service} canary share ${s.observedSharePct}%`);
      assert.equal(s.verdict, s.service === 'workers' ? 'rollback' : 'pass', `${s.service}: ${s.verdict}`);
    }

    // What one aggregate over all services (the query before per-service judgement) says of the same data.
    const aggregate = await source.sample(FLEET_SERVICES);
    const old = judgeCanary(aggregate.baseline, aggregate.canary, healthy(FLEET_SERVICES), THRESHOLDS);
    console.log(`  the old aggregate query on the same data: ${old.verdict} (${old.reason})`);
    assert.equal(old.verdict, 'pass', 'the aggregate dilutes the workers regression below the threshold');
  });

  void test('a healthy canary with 9.09% of the requests of each service (10% intended) passes, every share in the reason', async () => {
    const samples = await metrics('healthy').sampleServices(MEASURED_SERVICES);
    const judgement = judgeServices(samples, healthy(MEASURED_SERVICES), THRESHOLDS, TEN_PERCENT);
    assert.equal(judgement.verdict, 'pass', judgement.reason);
    // api-gateway: 151.55 canary against 1515.75 stable requests per step is 9.09%.
    assert.match(judgement.reason, /api-gateway 9\.09% of requests/);
    assert.match(judgement.reason, /workers 9\.09% of requests/);
  });

  void test('a canary that receives 0% of requests while 10% is intended is inconclusive, with its share', async () => {
    const samples = await metrics('canary-idle').sampleServices(MEASURED_SERVICES);
    const judgement = judgeServices(samples, healthy(MEASURED_SERVICES), THRESHOLDS, TEN_PERCENT);
    assert.equal(judgement.verdict, 'inconclusive', judgement.reason);
    assert.match(judgement.reason, /api-gateway: canary got 0% of requests, 10% intended: 10 pp off > ±5 pp tolerance/);
    assert.match(judgement.reason, /workers: canary got 0% of requests/);
  });

  void test('a canary that receives 50% of requests while 10% is intended is inconclusive, never a pass', async () => {
    const samples = await metrics('canary-half-traffic').sampleServices(MEASURED_SERVICES);
    const judgement = judgeServices(samples, healthy(MEASURED_SERVICES), THRESHOLDS, TEN_PERCENT);
    assert.equal(judgement.verdict, 'inconclusive', judgement.reason);
    assert.match(
      judgement.reason,
      /api-gateway: canary got 50% of requests, 10% intended: 40 pp off > ±5 pp tolerance/,
    );
    assert.match(judgement.reason, /workers: canary got 50% of requests, 10% intended: 40 pp off/);
  });

  void test('a per-service query override replaces the template for that service only', async () => {
    // workers' requests read from api-gateway's series: its share and figures become api-gateway's.
    const source = metrics('one-service-regression', {
      serviceQueries: {
        workers: {
          requests:
            'sum(increase(http_requests_total{service="api-gateway",track="{track}",environment="{environment}"}[{window}]))',
        },
      },
    });
    const samples = await source.sampleServices(FLEET_SERVICES);
    const byName = Object.fromEntries(samples.map((s) => [s.service, s]));
    assert.equal(byName.workers!.canary.requests, byName['api-gateway']!.canary.requests);
    assert.notEqual(byName.orchestrator!.canary.requests, byName['api-gateway']!.canary.requests);
    // The other queries of workers are still its own.
    assert.ok(byName.workers!.canary.errorRatePct! >= 2, `workers error rate ${byName.workers!.canary.errorRatePct}`);
  });
});
