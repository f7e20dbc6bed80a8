// Flagger-style staging webhooks (src/activities/gates/webhook.ts) against a local HTTP server, and
// GitHubGates.stagingGateFacts wiring them into the three staging suites.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { GitHubGates } from '../../src/activities/gates/github';
import {
  callWebhook,
  runSuiteWebhook,
  type WebhookConfig,
  type WebhookPayload,
} from '../../src/activities/gates/webhook';
import { gatesSchema, webhookSchema } from '../../src/config/integrations-schema';
import { evaluateStagingSuite, STAGING_SUITES } from '../../src/shared/gates';
import type { GateResult } from '../../src/shared/release';
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, STAGING_SUITE_HEARTBEAT_MS } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { parseConfig } from '../../src/config/load';

const PAYLOAD: WebhookPayload = {
  name: 'e2e-tests',
  version: '2.4.0',
  commitSha: 'abc1234',
  environment: 'staging',
  phase: 'pre-rollout',
};

interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

void describe('staging webhooks', () => {
  let server: Server;
  let base: string;
  let received: Received[] = [];
  // What the suite behind each path answers; set per test.
  const answers = new Map<string, (res: ServerResponse) => void>();

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        received.push({
          method: req.method ?? '',
          path,
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          body: JSON.parse(raw || 'null'),
        });
        const answer = answers.get(path);
        if (answer === undefined) {
          res.writeHead(404);
          res.end('no such suite');
        } else answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received = [];
    answers.clear();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const hook = (path: string, extra: Record<string, unknown> = {}): WebhookConfig =>
    webhookSchema.parse({ url: `${base}${path}`, ...extra });
  const reply =
    (status: number, body: string, type = 'text/plain') =>
    (res: ServerResponse) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };

  void test('2xx passes, with the trimmed body as the detail; the release is POSTed as JSON', async () => {
    answers.set('/e2e', reply(200, '  142 scenarios passed in 6m12s\n'));
    const outcome = await callWebhook('e2e', hook('/e2e'), PAYLOAD, 1);
    assert.deepEqual(outcome, { passed: true, detail: '142 scenarios passed in 6m12s', evidence: null });
    assert.equal(received.length, 1);
    assert.equal(received[0]?.method, 'POST');
    assert.match(received[0]?.contentType ?? '', /^application\/json/);
    assert.deepEqual(received[0]?.body, PAYLOAD);
  });

  void test('a JSON answer may give the detail and a link to the evidence', async () => {
    answers.set(
      '/load',
      reply(
        202,
        JSON.stringify({ detail: 'p95 180 ms at 500 rps', evidence: 'https://grafana.example/d/load?run=77' }),
        'application/json',
      ),
    );
    const outcome = await callWebhook('load', hook('/load'), { ...PAYLOAD, name: 'load-tests' }, 1);
    assert.deepEqual(outcome, {
      passed: true,
      detail: 'p95 180 ms at 500 rps',
      evidence: 'https://grafana.example/d/load?run=77',
    });
  });

  void test('an empty 2xx passes with the status as the detail', async () => {
    answers.set('/e2e', reply(204, ''));
    const outcome = await callWebhook('e2e', hook('/e2e'), PAYLOAD, 1);
    assert.deepEqual(outcome, { passed: true, detail: `HTTP 204 from ${base}/e2e`, evidence: null });
  });

  void test('any other status fails with the body as the reason', async () => {
    answers.set('/e2e', reply(500, 'checkout.spec.ts: expected 200, got 503\n  at line 42'));
    const outcome = await callWebhook('e2e', hook('/e2e'), PAYLOAD, 1);
    assert.equal(outcome.passed, false);
    assert.equal(outcome.detail, `HTTP 500 from ${base}/e2e: checkout.spec.ts: expected 200, got 503 at line 42`);

    answers.set('/scan', reply(422, 'x'.repeat(1_000)));
    const long = await callWebhook('security scan', hook('/scan'), PAYLOAD, 1);
    assert.equal(long.passed, false);
    assert.ok(long.detail.length < 400 && long.detail.endsWith('…'), 'a long body is trimmed');

    const missing = await callWebhook('e2e', hook('/nowhere'), PAYLOAD, 1);
    assert.deepEqual(missing, {
      passed: false,
      detail: `HTTP 404 from ${base}/nowhere: no such suite`,
      evidence: null,
    });
  });

  void test('a suite that does not answer within the timeout is not a verdict: Temporal retries it, 1 s later', async () => {
    answers.set('/slow', () => undefined); // never answers
    const started = Date.now();
    const err: unknown = await callWebhook('load', hook('/slow', { timeout: '200ms', retries: 1 }), PAYLOAD, 1).catch(
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof ApplicationFailure && !err.nonRetryable,
      `expected a retryable failure, got ${String(err)}`,
    );
    assert.equal(err.type, 'WebhookUnreachable');
    assert.equal(err.nextRetryDelay, 1_000);
    assert.match(
      err.message,
      new RegExp(`the load webhook at ${base}/slow could not be called: no answer within 200 ms`),
    );
    assert.match(err.message, /\(attempt 1 of 2\)$/);
    assert.ok(Date.now() - started < 2_000);
  });

  void test('one call per activity attempt: retried `retries` times, 1 s then 2 s later, then it stops; an answer is never repeated', async () => {
    let calls = 0;
    answers.set('/flaky', () => {
      calls++; // hangs: the call times out
    });
    const config = hook('/flaky', { timeout: '200ms', retries: 2 });
    const failures: ApplicationFailure[] = [];
    for (const attempt of [1, 2, 3]) {
      const err: unknown = await callWebhook('e2e', config, PAYLOAD, attempt).catch((e: unknown) => e);
      assert.ok(err instanceof ApplicationFailure);
      failures.push(err);
    }
    assert.equal(calls, 3, 'one call per attempt, no loop inside');
    assert.deepEqual(
      failures.map((f): [boolean, number | null] => [
        f.nonRetryable === true,
        f.nextRetryDelay === undefined ? null : Number(f.nextRetryDelay),
      ]),
      [
        [false, 1_000],
        [false, 2_000],
        [true, null],
      ],
      'Temporal waits 1 s, then 2 s; the third attempt is the last',
    );

    answers.set('/red', reply(500, 'failed'));
    received = [];
    assert.equal((await callWebhook('load', hook('/red'), PAYLOAD, 1)).passed, false);
    assert.equal(received.length, 1, 'a failing answer is a verdict, not retried');
    assert.throws(() => webhookSchema.parse({ url: `${base}/x`, retries: 3 }));
    assert.throws(() => webhookSchema.parse({ url: `${base}/x`, timeout: '31m' }), /at most 30m/);
  });

  void test('an unreachable webhook is a retryable error; the URL query (often a secret) is not in it', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const err = await callWebhook(
      'e2e',
      webhookSchema.parse({ url: `http://127.0.0.1:${closed}/run?token=sekrit`, retries: 1 }),
      PAYLOAD,
      1,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure && !err.nonRetryable);
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('sekrit'));
  });

  void test('the Authorization header comes from the named variable; an unset one is a non-retryable failure', async () => {
    answers.set('/e2e', reply(200, 'ok'));
    process.env.TEST_WEBHOOK_AUTH = 'Bearer hook-secret';
    try {
      await callWebhook('e2e', hook('/e2e', { authHeaderEnv: 'TEST_WEBHOOK_AUTH' }), PAYLOAD, 1);
      assert.equal(received[0]?.authorization, 'Bearer hook-secret');
    } finally {
      delete process.env.TEST_WEBHOOK_AUTH;
    }
    const err = await callWebhook('e2e', hook('/e2e', { authHeaderEnv: 'TEST_WEBHOOK_AUTH' }), PAYLOAD, 1).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure && err.nonRetryable);
    assert.equal(err.type, 'WebhookAuthMissing');
  });

  void test('a suite without a webhook fails as not configured, without calling anything', async () => {
    assert.deepEqual(await runSuiteWebhook('load', undefined, PAYLOAD, 1), {
      passed: false,
      detail: 'no load webhook configured',
      evidence: null,
    });
    assert.equal(received.length, 0);
  });

  void test('GitHubGates.stagingSuite asks each configured suite about the release', async () => {
    answers.set('/e2e', reply(200, 'all green'));
    answers.set('/load', reply(500, 'p99 1.8 s > 1 s budget'));
    const config = gatesSchema.parse({
      provider: 'github',
      repository: 'acme/shop',
      e2e: { url: `${base}/e2e` },
      load: { url: `${base}/load` },
    });
    assert.equal(config.provider, 'github');
    if (config.provider !== 'github') return;
    const gates = new GitHubGates(config);
    const release = { version: '2.4.0', commitSha: 'abc1234', environment: 'staging' };
    const results: GateResult[] = [];
    for (const suite of STAGING_SUITES)
      results.push(evaluateStagingSuite(suite, await gates.stagingSuite(suite, release, 1)));
    assert.deepEqual(
      received.map((r) => [r.path, r.body]),
      [
        [
          '/e2e',
          { name: 'e2e-tests', version: '2.4.0', commitSha: 'abc1234', environment: 'staging', phase: 'pre-rollout' },
        ],
        [
          '/load',
          { name: 'load-tests', version: '2.4.0', commitSha: 'abc1234', environment: 'staging', phase: 'pre-rollout' },
        ],
      ],
    );
    assert.deepEqual(
      results.map((r) => [r.gate, r.passed, r.reason]),
      [
        ['e2e-tests', true, 'E2E tests passed: all green'],
        ['load-tests', false, `load tests failed: HTTP 500 from ${base}/load: p99 1.8 s > 1 s budget`],
        ['security-scan', false, 'security scan failed: no security scan webhook configured'],
      ],
    );
  });
  void test('a staging suite activity heartbeats while its suite runs, so a long suite is not taken for a lost worker', async () => {
    const attempt = new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000, startToCloseTimeoutMs: 7_200_000 });
    const firstHeartbeat = new Promise<unknown>((resolve) => attempt.once('heartbeat', resolve));
    // Every suite answers only after the activity has heartbeated at least once.
    for (const path of ['/e2e', '/load', '/scan'])
      answers.set(path, (res) => void firstHeartbeat.then(() => reply(200, 'green')(res)));
    const config = parseConfig(
      {
        gates: {
          provider: 'github',
          repository: 'acme/shop',
          e2e: { url: `${base}/e2e` },
          load: { url: `${base}/load` },
          securityScan: { url: `${base}/scan` },
        },
      },
      'test settings',
    );
    const activities = createActivities(activityDeps(config, new Client()));
    const started = Date.now();
    const gate: GateResult = await attempt.run(() =>
      activities.runStagingSuite({
        suite: 'load-tests',
        version: '2.4.0',
        commitSha: 'abc1234',
        environment: 'staging',
      }),
    );
    assert.deepEqual([gate.gate, gate.passed], ['load-tests', true]);
    assert.equal(await firstHeartbeat, 'waiting for the load-tests suite');
    assert.ok(Date.now() - started >= STAGING_SUITE_HEARTBEAT_MS - 100);
  });
});
