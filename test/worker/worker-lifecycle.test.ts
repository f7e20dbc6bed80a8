// The `worker` command as it runs in production: a child process (`node bin/release-promote.mjs
// worker`) against a real Temporal dev server. While it runs, /healthz and /readyz answer 200,
// /metrics carries the release metrics and the SDK's Prometheus endpoint answers. SIGTERM while
// an activity is in flight: readiness drops at once, the activity still finishes (history shows
// ActivityTaskCompleted, no failure or timeout), and the process exits 0 within the grace time.
//
// The in-flight activity is the release's first Slack notification: the notifier posts to a local
// stand-in for Slack that holds the request until the test lets it answer, so the test knows the
// activity is running when it sends SIGTERM (no timing guesswork).
//
// Also here: unit checks of the metrics (approval wait from the audit trail, rollbacks counted
// once) and of the JSON log lines.
//
// Run: node --import tsx --test test/worker/worker-lifecycle.test.ts
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { stringify as toYaml } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { createDevEnv } from '../helpers/temporal-env';
import { parseConfig, releasePolicy } from '../../src/config/load';
import { startRelease } from '../../src/client/start-release';
import { readPolicyLog } from '../../src/records/policy-log';
import { policyDigest } from '../../src/config/policy-digest';
import { FileRecordsStore } from '../../src/records/file-store';
import { METRIC_NAMES, ReleaseMetrics, startHealthServer } from '../../src/worker/health-server';
import { formatLogLine, versionFromActivityArgs, versionFromWorkflowId } from '../../src/worker/logging';
import { ConsoleNotifier } from '../../src/activities/notify/console';
import type { AuditEntry } from '../../src/shared/audit';
import { eventually } from '../helpers/eventually';

const ROOT = join(__dirname, '..', '..');
const GRACE_SECONDS = 20;
/** How long the stand-in Slack holds the in-flight notification after SIGTERM. */
const HOLD_AFTER_SIGTERM_MS = 2_500;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text() };
}

function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  describe?: () => string,
): Promise<T> {
  return eventually(what, probe, { timeoutMs, intervalMs: 100, describe });
}

/**
 * A Slack Web API stand-in whose chat.postMessage answers only when the test says so; under /otlp
 * it also stands in for an OpenTelemetry collector, keeping what the worker exports.
 */
function slowSlack(): Promise<{
  apiBaseUrl: string;
  collectorUrl: string;
  traces: string[];
  arrived: Promise<void>;
  answer: () => void;
  posts: number;
  server: Server;
}> {
  let markArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (markArrived = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { posts: 0 };
  const traces: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        if (req.url?.startsWith('/otlp/')) {
          traces.push(body);
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{}');
          return;
        }
        state.posts++;
        if (req.url === '/api/chat.postMessage') {
          markArrived();
          await released;
        }
        const parsed = JSON.parse(body || '{}') as { channel?: string };
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            ok: true,
            channel: parsed.channel ?? 'C0123ABCD',
            ts: `1700000000.${String(state.posts).padStart(6, '0')}`,
          }),
        );
      })();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        apiBaseUrl: `http://127.0.0.1:${port}/api/`,
        collectorUrl: `http://127.0.0.1:${port}/otlp`,
        traces,
        arrived,
        answer: release,
        get posts() {
          return state.posts;
        },
        server,
      });
    });
  });
}

void describe('worker process: health, metrics and graceful shutdown', () => {
  let env: TestWorkflowEnvironment;
  let child: ChildProcess | undefined;
  let dir: string;
  let slack: Awaited<ReturnType<typeof slowSlack>>;
  let stdout = '';
  let stderr = '';

  before(async () => {
    env = await createDevEnv();
    dir = mkdtempSync(join(tmpdir(), 'release-promote-worker-'));
    slack = await slowSlack();
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    slack?.answer();
    slack?.server.closeAllConnections();
    slack?.server.close();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void it('serves /healthz, /readyz, /metrics and SDK metrics; on SIGTERM finishes the in-flight activity and exits 0', async () => {
    const taskQueue = `worker-lifecycle-${Date.now()}`;
    const rawConfig = {
      temporal: { taskQueue },
      roles: { RELEASE_APPROVER: ['@alice'] },
      notifications: {
        provider: 'slack',
        apiBaseUrl: slack.apiBaseUrl,
        channel: 'C0123ABCD',
        botTokenEnv: 'TEST_SLACK_BOT_TOKEN',
      },
      simulation: { scenario: 'healthy', stateDir: join(dir, 'simulated') },
      records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
    };
    const configFile = join(dir, 'release-promote.yaml');
    writeFileSync(configFile, toYaml(rawConfig));
    const config = parseConfig(rawConfig, 'test');
    const [healthPort, sdkPort] = [await freePort(), await freePort()];

    child = spawn(process.execPath, [join(ROOT, 'bin', 'release-promote.mjs'), 'worker'], {
      cwd: dir,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: 'default',
        RELEASE_PROMOTE_CONFIG: configFile,
        RELEASE_PROMOTE_HEALTH_PORT: String(healthPort),
        RELEASE_PROMOTE_SDK_METRICS_PORT: String(sdkPort),
        RELEASE_PROMOTE_SHUTDOWN_GRACE: `${GRACE_SECONDS}s`,
        RELEASE_PROMOTE_LOG_LEVEL: 'DEBUG',
        TEST_SLACK_BOT_TOKEN: 'xoxb-test-token',
        OTEL_EXPORTER_OTLP_ENDPOINT: slack.collectorUrl,
        OTEL_SERVICE_NAME: 'release-promote-lifecycle-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const output = () => `--- worker stdout ---\n${stdout.slice(-3000)}\n--- worker stderr ---\n${stderr.slice(-3000)}`;
    const health = `http://127.0.0.1:${healthPort}`;

    // Liveness answers as soon as the server is up; readiness once the worker polls.
    await waitFor(
      '/readyz 200',
      async () => ((await get(`${health}/readyz`)).status === 200 ? true : undefined),
      40_000,
      output,
    );
    assert.deepEqual(await get(`${health}/healthz`), { status: 200, text: 'ok\n' });
    // The policy this worker hands its releases is audited once, with its digest and the config it came from.
    const policyLog = readPolicyLog(join(dir, 'audit'));
    assert.deepEqual(
      policyLog.map((e) => [e.action, e.digest, e.previous_digest, e.config_file, e.changed_by]),
      [['policy_change', policyDigest(releasePolicy(config, 'default')), null, configFile, null]],
    );
    assert.match(
      stdout,
      /"msg":"release policy sha256:[0-9a-f]{64} takes effect \(was none recorded; changed by unknown: set change\.by in the config\)"/,
    );
    assert.equal(
      (await get(`${health}/readyz`)).text,
      `RUNNING\nrecords: ok (files under ${join(dir, 'audit')}, ${join(dir, 'evidence')} and ${join(dir, 'sot')})\n`,
    );
    const metrics = await get(`${health}/metrics`);
    assert.equal(metrics.status, 200);
    for (const name of Object.values(METRIC_NAMES))
      assert.match(metrics.text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} missing from /metrics`);
    assert.match(metrics.text, /^release_promote_releases\{stage="STAGING_SOAK"\} 0$/m);
    assert.match(metrics.text, /^release_promote_visibility_up 1$/m);
    assert.match(metrics.text, /^release_promote_worker_ready 1$/m);
    const sdkMetrics = await get(`http://127.0.0.1:${sdkPort}/metrics`);
    assert.equal(sdkMetrics.status, 200);
    assert.match(sdkMetrics.text, /temporal_/, 'the SDK endpoint serves the SDK metrics');

    // A release whose first notification is held by the stand-in Slack: an activity in flight.
    const { handle } = await startRelease(env.client, config, {
      version: 'v3.1.4',
      commitSha: 'a1b2c3d4e5f6a7b8',
      requestedBy: '@release-bot',
    });
    await Promise.race([
      slack.arrived,
      delay(30_000, undefined, { ref: false }).then(() =>
        assert.fail(`the notify activity never reached Slack\n${output()}`),
      ),
    ]);
    // The gauge comes from visibility (cached 15 s, so a fresh value needs a fresh worker view): the
    // release itself is visible there right away.
    const { count } = await env.client.workflow.count(`ReleaseVersion = "v3.1.4" AND ExecutionStatus = "Running"`);
    assert.equal(count, 1);

    const sigtermAt = Date.now();
    child.kill('SIGTERM');
    // Readiness drops while the worker drains; liveness stays.
    await waitFor(
      '/readyz 503 after SIGTERM',
      async () => ((await get(`${health}/readyz`)).status === 503 ? true : undefined),
      5_000,
      output,
    );
    assert.equal((await get(`${health}/healthz`)).status, 200);
    assert.equal(child.exitCode, null, 'the worker waits for its in-flight activity');
    await delay(HOLD_AFTER_SIGTERM_MS);
    assert.equal(child.exitCode, null, 'still waiting while Slack has not answered');
    slack.answer();

    const exit = await Promise.race([
      exited,
      delay((GRACE_SECONDS + 10) * 1000, undefined, { ref: false }).then(() => null),
    ]);
    assert.ok(exit, `the worker did not exit within the ${GRACE_SECONDS}s grace time\n${output()}`);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, output());
    assert.ok(exit.at - sigtermAt < GRACE_SECONDS * 1000, `exit took ${exit.at - sigtermAt} ms`);

    // History: the in-flight notify activity completed; nothing failed or timed out.
    const { events } = await handle.fetchHistory();
    const types = (events ?? []).map((e) => String(e.eventType));
    const scheduled = (events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify',
    );
    assert.equal(scheduled.length, 1, types.join(', '));
    const notifyId = Number(scheduled[0]!.eventId);
    const completed = (events ?? []).find(
      (e: temporal.api.history.v1.IHistoryEvent) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === notifyId,
    );
    assert.ok(completed, `no ActivityTaskCompleted for the notify activity: ${types.join(', ')}`);
    assert.ok(!types.some((t) => /ACTIVITY_TASK_(FAILED|TIMED_OUT|CANCELED)/.test(t)), types.join(', '));

    // Logs: every stdout line is one JSON object; activity lines carry workflowId and version.
    const lines = stdout.trim().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const p of parsed) {
      assert.equal(typeof p.time, 'string');
      assert.equal(typeof p.level, 'string');
      assert.equal(typeof p.msg, 'string');
    }
    const activityDone = parsed.find((p) => p.msg === 'Activity completed' && p.activityType === 'notify');
    assert.ok(activityDone, 'an "Activity completed" line for notify');
    assert.equal(activityDone.workflowId, 'release-v3.1.4');
    assert.equal(activityDone.version, 'v3.1.4');
    assert.ok(parsed.some((p) => p.msg === 'worker stopped'));

    // Tracing (OTEL_EXPORTER_OTLP_ENDPOINT set): the spans reached the collector by the time it exited.
    assert.ok(parsed.some((p) => p.msg === `tracing: spans go to ${slack.collectorUrl} (OTLP/HTTP)`));
    const exported = slack.traces.join('\n');
    assert.match(exported, /"RunActivity:notify"/, 'the in-flight activity was traced');
    assert.match(exported, /release-promote-lifecycle-test/);
  });
});

void describe('release metrics', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-promote-metrics-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (
    action: AuditEntry['action'],
    seq: number,
    timestamp: string,
    extra: Partial<AuditEntry> = {},
  ): AuditEntry => ({
    key: `release-v1.0.1/run-1/${seq}`,
    seq,
    version: 'v1.0.1',
    timestamp,
    action,
    from_stage: null,
    to_stage: null,
    approved_by: null,
    ci_run_id: null,
    commit_sha: 'abcdef1',
    workflow_id: 'release-v1.0.1',
    run_id: 'run-1',
    kind: 'standard',
    reason: 'test',
    channel: null,
    internal_stage: null,
    from_version: null,
    to_version: null,
    ...extra,
  });

  void it('measures the approval wait from the audit trail and counts each rollback once', async () => {
    const metrics = new ReleaseMetrics({ countStage: (stage) => Promise.resolve(stage === 'CANARY' ? 2 : 0) });
    const store = new FileRecordsStore({ auditDir: dir, evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') });
    const request = entry('approval_request', 1, '2026-01-01T10:00:00.000Z');
    await store.appendAudit(request);
    const approve = entry('approve', 2, '2026-01-01T10:20:00.000Z', { approved_by: '@alice' });
    const written = await store.appendAudit(approve);
    await metrics.observeAudit(approve, written, store);
    // The same entry again (a retried activity): not written, not counted.
    await metrics.observeAudit(approve, await store.appendAudit(approve), store);
    const rollback = entry('rollback', 3, '2026-01-01T11:00:00.000Z');
    await metrics.observeAudit(rollback, await store.appendAudit(rollback), store);
    await metrics.observeAudit(rollback, await store.appendAudit(rollback), store);

    const text = await metrics.render();
    assert.match(text, /^release_promote_releases\{stage="CANARY"\} 2$/m);
    assert.match(text, /^release_promote_rollbacks_total\{kind="standard"\} 1$/m);
    assert.match(text, /^release_promote_approval_wait_seconds_count\{decision="approve"\} 1$/m);
    assert.match(text, /^release_promote_approval_wait_seconds_sum\{decision="approve"\} 1200$/m);
    assert.match(text, /^release_promote_approval_wait_seconds_bucket\{le="900",decision="approve"\} 0$/m);
    assert.match(text, /^release_promote_approval_wait_seconds_bucket\{le="1800",decision="approve"\} 1$/m);
    assert.match(text, /^release_promote_approval_wait_seconds_bucket\{le="\+Inf",decision="approve"\} 1$/m);
  });

  void it('drops the stage gauge and reports visibility down when the count query fails', async () => {
    let fail = false;
    let now = 0;
    const metrics = new ReleaseMetrics({
      countStage: () => (fail ? Promise.reject(new Error('unavailable')) : Promise.resolve(1)),
      now: () => now,
      cacheMs: 1000,
    });
    assert.match(await metrics.render(), /^release_promote_visibility_up 1$/m);
    fail = true;
    assert.match(await metrics.render(), /^release_promote_releases\{stage="DEV_GATES"\} 1$/m, 'cached within cacheMs');
    now = 5000;
    const text = await metrics.render();
    assert.match(text, /^release_promote_visibility_up 0$/m);
    assert.doesNotMatch(text, /^release_promote_releases\{/m);
  });

  void it('serves 404 for unknown paths and 503 on /readyz when not RUNNING', async () => {
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      state: () => 'DRAINING',
      metrics: new ReleaseMetrics(),
    });
    try {
      assert.deepEqual(await get(`${server.url}/readyz`), { status: 503, text: 'DRAINING\n' });
      assert.equal((await get(`${server.url}/nope`)).status, 404);
    } finally {
      await server.close();
    }
  });
});

void describe('JSON log lines', () => {
  void it('one object per line with time, level, msg, the SDK attributes and the release version', () => {
    const line = formatLogLine({
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: 1_700_000_000_123_000_000n,
      meta: { workflowId: 'hotfix-v2.0.1', activityType: 'deployStable', error: new Error('boom'), attempt: 2n },
    });
    assert.ok(!line.includes('\n'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.time, '2023-11-14T22:13:20.123Z');
    assert.equal(parsed.level, 'warn');
    assert.equal(parsed.msg, 'Activity failed');
    assert.equal(parsed.version, 'v2.0.1');
    assert.equal(parsed.attempt, '2');
    assert.equal((parsed.error as { message: string }).message, 'boom');
    assert.equal(versionFromWorkflowId('environment-production'), null);
    assert.equal(versionFromActivityArgs([{ environment: 'production', record: { version: 'v1.2.3' } }]), 'v1.2.3');
  });

  void it('notifications without Slack are log lines of the same shape, with the workflow ID and version', async () => {
    const lines: string[] = [];
    await new ConsoleNotifier((l) => lines.push(l)).send({
      kind: 'rollback-started',
      workflowId: 'release-v1.2.4',
      version: 'v1.2.4',
      releaseKind: 'standard',
      stage: 'ROLLING_BACK',
      title: 'v1.2.4 is rolling back',
      reason: 'error rate 2.4% vs baseline 0.3%: +2.1 pp ≥ 1 pp',
      url: 'http://localhost:8233/namespaces/default/workflows/release-v1.2.4',
      threadTs: null,
      actions: [],
      asked: [],
      approvalProgress: null,
      gates: [],
    });
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.ok(!Number.isNaN(Date.parse(parsed.time as string)));
    assert.equal(parsed.level, 'info');
    assert.equal(parsed.msg, 'v1.2.4 is rolling back: error rate 2.4% vs baseline 0.3%: +2.1 pp ≥ 1 pp');
    assert.equal(parsed.workflowId, 'release-v1.2.4');
    assert.equal(parsed.version, 'v1.2.4');
    assert.equal(parsed.notification, 'rollback-started');
  });
});
