// PrometheusMetrics against a real Prometheus 2.x holding a backfilled, fixed history (see
// test/helpers/prometheus.ts), with the production default PromQL; plus the error edges against a
// closed port and tiny local HTTP servers.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { PrometheusMetrics, type PrometheusConfig } from '../../src/activities/metrics/prometheus';
import { metricsSchema } from '../../src/config/integrations-schema';
import { judgeCanary } from '../../src/shared/canary-verdict';
import type { CanaryThresholds } from '../../src/shared/policy';
import type { MetricSample, ServiceHealth } from '../../src/shared/release';
import {
  EVALUATION_TIME,
  MEASURED_SERVICES,
  startPrometheus,
  type RunningPrometheus,
  type Scenario,
} from '../helpers/prometheus';

// The seed's thresholds (the config defaults).
const THRESHOLDS: CanaryThresholds = {
  maxErrorRateIncreasePp: 1,
  maxP99IncreasePct: 10,
  minAvailabilityPct: 99.9,
  minRequestCount: 100,
};
const HEALTHY: ServiceHealth[] = MEASURED_SERVICES.map((service) => ({
  service,
  healthy: true,
  version: '1.2.3',
  detail: 'ready',
}));

function config(input: Record<string, unknown>): PrometheusConfig {
  const parsed = metricsSchema.parse({ provider: 'prometheus', ...input });
  assert.equal(parsed.provider, 'prometheus');
  return parsed;
}

function metricsFor(baseUrl: string, scenario: string, extra: Record<string, unknown> = {}): PrometheusMetrics {
  return new PrometheusMetrics(config({ baseUrl, ...extra }), {
    environment: scenario,
    evaluationTime: () => EVALUATION_TIME,
  });
}

function assertNoError(sample: MetricSample): void {
  assert.equal(sample.queryError, null);
}

void describe('PrometheusMetrics against a real Prometheus', () => {
  let prometheus: RunningPrometheus;
  const sample = (scenario: Scenario) => metricsFor(prometheus.baseUrl, scenario).sample(MEASURED_SERVICES);

  before(async () => {
    prometheus = await startPrometheus();
  });
  after(async () => {
    await prometheus?.stop();
  });

  void test('healthy: both tracks measured, the canary within every threshold, verdict pass', async () => {
    const { baseline, canary } = await sample('healthy');
    assertNoError(baseline);
    assertNoError(canary);
    // 20 steps of 15 s in the 5 m window; per step the stable track serves 1515.75 + 600.3 requests.
    assert.equal(baseline.requests, 42_321);
    assert.ok(
      canary.requests !== null && canary.requests > 4_000 && canary.requests < 4_300,
      `canary requests ${canary.requests}`,
    );
    assert.ok(canary.errorRatePct !== null && canary.errorRatePct < 0.1, `canary error rate ${canary.errorRatePct}`);
    assert.ok(
      canary.availabilityPct !== null && canary.availabilityPct >= 99.9,
      `canary availability ${canary.availabilityPct}`,
    );
    // Availability is the share of non-5xx answers: the two add up to 100 when there is traffic.
    assert.ok(Math.abs(canary.availabilityPct + canary.errorRatePct - 100) < 1e-9);
    assert.ok(baseline.p99Ms !== null && Math.abs(baseline.p99Ms - 250) < 5, `baseline P99 ${baseline.p99Ms}`);
    assert.ok(
      canary.p99Ms !== null && Math.abs(canary.p99Ms - baseline.p99Ms) / baseline.p99Ms < 0.02,
      `canary P99 ${canary.p99Ms}`,
    );
    // The unmeasured decoy service (50% errors on its canary) must not leak into the sums.
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'pass', judgement.reason);
  });

  void test('error-rate regression: canary error rate at least baseline + 1 pp, verdict rollback', async () => {
    const { baseline, canary } = await sample('error-rate-regression');
    assertNoError(canary);
    assert.ok(baseline.errorRatePct !== null && canary.errorRatePct !== null);
    assert.ok(
      canary.errorRatePct >= baseline.errorRatePct + 1,
      `canary ${canary.errorRatePct}% vs baseline ${baseline.errorRatePct}%`,
    );
    assert.ok(canary.availabilityPct !== null && canary.availabilityPct < 99.9);
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'rollback', judgement.reason);
    assert.match(judgement.reason, /error rate/);
  });

  void test('latency regression: canary P99 at least 10% over the baseline, errors unchanged, verdict pause', async () => {
    const { baseline, canary } = await sample('latency-regression');
    assertNoError(canary);
    assert.ok(baseline.p99Ms !== null && canary.p99Ms !== null);
    assert.ok(canary.p99Ms >= baseline.p99Ms * 1.1, `canary P99 ${canary.p99Ms} ms vs baseline ${baseline.p99Ms} ms`);
    // This canary has no 5xx series at all: that is 0% errors, not missing data.
    assert.equal(canary.errorRatePct, 0);
    assert.equal(canary.availabilityPct, 100);
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'pause', judgement.reason);
    assert.match(judgement.reason, /P99/);
  });

  void test('no traffic: no canary series at all gives nulls (no data), never zeros; verdict inconclusive', async () => {
    const { baseline, canary } = await sample('no-traffic');
    assert.ok(baseline.requests !== null && baseline.requests > 0);
    assert.deepEqual(canary, {
      requests: null,
      errorRatePct: null,
      p99Ms: null,
      availabilityPct: null,
      queryError: null,
    });
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'inconclusive', judgement.reason);
    assert.match(judgement.reason, /no canary traffic data/);
  });

  void test('idle canary: series that do not move give 0 requests and null ratios (0/0 is NaN); verdict inconclusive', async () => {
    const { baseline, canary } = await sample('canary-idle');
    assert.deepEqual(canary, { requests: 0, errorRatePct: null, p99Ms: null, availabilityPct: null, queryError: null });
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'inconclusive', judgement.reason);
    assert.match(judgement.reason, /too little canary traffic/);
  });

  void test('the service selector is exact: measuring one service excludes the other', async () => {
    const both = await sample('healthy');
    const gatewayOnly = await metricsFor(prometheus.baseUrl, 'healthy').sample(['api-gateway']);
    assert.equal(gatewayOnly.baseline.requests, 30_315); // 1515.75 requests per step × 20 steps
    assert.ok(both.baseline.requests !== null && gatewayOnly.baseline.requests < both.baseline.requests);
  });

  void test('custom query templates replace the defaults, with placeholders filled', async () => {
    const metrics = metricsFor(prometheus.baseUrl, 'healthy', {
      window: '1m',
      queries: {
        requests:
          'sum(increase(http_requests_total{service=~"{service}",track="{track}",environment="{environment}",code="200"}[{window}]))',
      },
    });
    const { baseline } = await metrics.sample(['api-gateway']);
    assert.equal(baseline.requests, 4 * 1500); // 4 steps of 15 s in 1 m
    assert.equal(baseline.queryError, null);
  });

  void test('a query Prometheus rejects, or one returning several series, marks the measurement failed', async () => {
    const broken = metricsFor(prometheus.baseUrl, 'healthy', {
      queries: { p99Ms: 'sum(rate(http_requests_total{{selector}}[{window}]' },
    });
    const { baseline, canary } = await broken.sample(MEASURED_SERVICES);
    assert.match(canary.queryError ?? '', /canary p99Ms query failed in Prometheus \(bad_data\): .*parse error/);
    assert.ok(canary.requests !== null, 'the other queries are still measured');
    const judgement = judgeCanary(baseline, canary, HEALTHY, THRESHOLDS);
    assert.equal(judgement.verdict, 'inconclusive');
    assert.match(judgement.reason, /^canary metrics query failed: /);

    const perService = metricsFor(prometheus.baseUrl, 'healthy', {
      queries: { requests: 'sum by (service) (increase(http_requests_total{{selector}}[{window}]))' },
    });
    const result = await perService.sample(MEASURED_SERVICES);
    assert.match(
      result.baseline.queryError ?? '',
      /stable requests query returned 2 series; it must return one number/,
    );
    assert.equal(result.baseline.requests, null);
  });
});

void describe('PrometheusMetrics error edges', () => {
  // A local server whose answer each test sets; it records the Authorization header it received.
  let server: Server;
  let baseUrl: string;
  let respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  let lastAuthorization: string | undefined;

  before(async () => {
    server = createServer((req, res) => {
      lastAuthorization = req.headers.authorization;
      respond(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const answer =
    (status: number, body: string, type = 'application/json') =>
    (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };

  async function failure(metrics: PrometheusMetrics): Promise<Error> {
    const err = await metrics.sample(MEASURED_SERVICES).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'sample() should have failed');
    return err;
  }

  function assertNonRetryable(err: Error, type: string, message: RegExp): void {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${err.name}: ${err.message}`);
    assert.equal(err.nonRetryable, true);
    assert.equal(err.type, type);
    assert.match(err.message, message);
  }

  function assertRetryable(err: Error, message: RegExp): void {
    assert.ok(
      !(err instanceof ApplicationFailure && err.nonRetryable),
      `expected a retryable error, got non-retryable ${err.message}`,
    );
    assert.match(err.message, message);
  }

  void test('an unreachable Prometheus is a retryable error naming the address', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const err = await failure(metricsFor(`http://127.0.0.1:${closed}`, 'healthy'));
    assertRetryable(
      err,
      new RegExp(`Prometheus at http://127.0.0.1:${closed} could not be queried for .*ECONNREFUSED`),
    );
  });

  void test('a Prometheus that does not answer within the timeout is a retryable error', async () => {
    respond = () => undefined; // never answers
    const err = await failure(metricsFor(baseUrl, 'healthy', { timeout: '150ms' }));
    assertRetryable(err, /no answer within 150 ms \(metrics\.timeout\)/);
  });

  void test('a body that is not JSON is a non-retryable MalformedMetricsResponse quoting it', async () => {
    respond = answer(200, '<html>Welcome to nginx</html>', 'text/html');
    const err = await failure(metricsFor(baseUrl, 'healthy'));
    assertNonRetryable(
      err,
      'MalformedMetricsResponse',
      /answered the (stable|canary) \w+ query with HTTP 200 and a body that is not JSON: <html>Welcome to nginx<\/html>/,
    );
  });

  void test('JSON that is not a query result, or a value that is not a number, is a MalformedMetricsResponse', async () => {
    respond = answer(
      200,
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ value: 'oops' }] } }),
    );
    assertNonRetryable(
      await failure(metricsFor(baseUrl, 'healthy')),
      'MalformedMetricsResponse',
      /JSON that is not a Prometheus query result/,
    );

    respond = answer(
      200,
      JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1759665600, 'twelve'] } }),
    );
    assertNonRetryable(
      await failure(metricsFor(baseUrl, 'healthy')),
      'MalformedMetricsResponse',
      /the value "twelve", which is not a number/,
    );
  });

  void test('a proxy 502 is retryable; an unavailable Prometheus (503) is retryable', async () => {
    respond = answer(502, '<html>Bad Gateway</html>', 'text/html');
    assertRetryable(await failure(metricsFor(baseUrl, 'healthy')), /HTTP 502 and a body that is not JSON/);

    respond = answer(503, JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }));
    assertRetryable(
      await failure(metricsFor(baseUrl, 'healthy')),
      /failed the .* query \(HTTP 503, unavailable\): TSDB not ready/,
    );
  });

  void test('a query timeout inside Prometheus marks the measurement failed rather than throwing', async () => {
    respond = answer(
      503,
      JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }),
    );
    const { baseline, canary } = await metricsFor(baseUrl, 'healthy').sample(MEASURED_SERVICES);
    assert.match(canary.queryError ?? '', /query failed in Prometheus \(timeout\): query timed out/);
    assert.notEqual(baseline.queryError, null);
  });

  void test('401 is a non-retryable PrometheusAuthError; the header comes from the named variable and is never in messages', async () => {
    const token = 'Bearer s3cret-token-value';
    process.env.TEST_PROM_AUTH = token;
    try {
      respond = answer(401, 'unauthorized', 'text/plain');
      const err = await failure(metricsFor(baseUrl, 'healthy', { authHeaderEnv: 'TEST_PROM_AUTH' }));
      assertNonRetryable(
        err,
        'PrometheusAuthError',
        /refused the .* query \(HTTP 401\): check the credentials \(the Authorization header in TEST_PROM_AUTH/,
      );
      assert.equal(lastAuthorization, token);
      assert.ok(!err.message.includes('s3cret') && !(err.stack ?? '').includes('s3cret'));
    } finally {
      delete process.env.TEST_PROM_AUTH;
    }
  });

  void test('a configured but unset auth variable is a non-retryable PrometheusAuthError before any request', async () => {
    lastAuthorization = 'untouched';
    const err = await failure(metricsFor(baseUrl, 'healthy', { authHeaderEnv: 'TEST_PROM_AUTH_UNSET' }));
    assertNonRetryable(err, 'PrometheusAuthError', /TEST_PROM_AUTH_UNSET \(metrics\.authHeaderEnv\) is not set/);
    assert.equal(lastAuthorization, 'untouched');
  });

  void test('the query is sent to /api/v1/query at the evaluation time, with the default selector', async () => {
    const seen: URL[] = [];
    respond = (req, res) => {
      seen.push(new URL(req.url ?? '/', baseUrl));
      answer(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }))(req, res);
    };
    const result = await metricsFor(`${baseUrl}/prom/`, 'production').sample(['api-gateway', 'workers']);
    assert.equal(result.canary.requests, null);
    assert.equal(seen.length, 8);
    for (const url of seen) {
      assert.equal(url.pathname, '/prom/api/v1/query');
      assert.equal(url.searchParams.get('time'), String(EVALUATION_TIME.getTime() / 1000) + '.000');
    }
    const queries = seen.map((u) => u.searchParams.get('query') ?? '');
    assert.ok(
      queries.includes(
        'sum(increase(http_requests_total{service=~"api-gateway|workers",track="canary",environment="production"}[5m]))',
      ),
      queries.join('\n'),
    );
  });
});
