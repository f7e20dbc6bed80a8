// Optional OpenTelemetry tracing (src/worker/tracing.ts) on a real worker: a release run end to end
// on the time-skipping server produces a workflow span and a span per activity, all in one trace.
// Spans go to an in-memory exporter here; in production to OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT).
//
// Run: node --import tsx --test test/worker/tracing.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { APPROVERS } from '../helpers/release-harness';
import { parseConfig } from '../../src/config/load';
import { startRelease } from '../../src/client/start-release';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import { createWorker } from '../../src/worker/create-worker';
import { tracingFromEnv, tracingPlugin } from '../../src/worker/tracing';
import { approveUpdate, statusQuery } from '../../src/shared/messages';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

test('a traced worker: one trace per release, with its workflow run and every activity in it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-tracing-'));
  const taskQueue = 'release-promote-tracing';
  const config = parseConfig(
    {
      temporal: { taskQueue },
      roles: { RELEASE_APPROVER: APPROVERS },
      simulation: { scenario: 'healthy', stateDir: join(dir, 'simulated') },
      records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
    },
    'test config',
  );
  const exporter = new InMemorySpanExporter();
  try {
    const worker = await createWorker({
      config,
      connection: env.nativeConnection,
      client: env.client,
      namespace: 'default',
      plugins: [tracingPlugin(new SimpleSpanProcessor(exporter), 'release-promote-test')],
    });
    const result = await worker.runUntil(async () => {
      const { handle } = await startRelease(env.client, config, {
        version: 'v5.0.0',
        commitSha: 'abc1234def5678',
        requestedBy: '@dev',
        ciRunId: '1',
      });
      for (let s = await handle.query(statusQuery); s.stage !== 'STAGING_SOAK'; s = await handle.query(statusQuery))
        await new Promise((r) => setTimeout(r, 50));
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      return await handle.result();
    });
    assert.equal(result.outcome, 'PROMOTED');

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const run = named('RunWorkflow:releasePromotion');
    assert.equal(run.length, 1, `spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    const traceId = run[0]!.spanContext().traceId;
    // The main flow's activities (those an update handler runs belong to that update's own trace).
    for (const activity of [
      'checkDevGates',
      'deployStable',
      'runStagingSuite',
      'deployCanary',
      'checkCanaryRouting',
      'setCanaryWeight',
      'sampleServiceMetrics',
      'removeCanary',
      'verifyEnvironment',
      'recordVersion',
    ]) {
      const ran = named(`RunActivity:${activity}`);
      assert.ok(ran.length > 0, `a RunActivity:${activity} span`);
      assert.ok(
        ran.every((s) => s.spanContext().traceId === traceId),
        `${activity} runs in the release's trace`,
      );
      const scheduled = new Set(named(`StartActivity:${activity}`).map((s) => s.spanContext().spanId));
      assert.ok(
        ran.every((s) => s.parentSpanId !== undefined && scheduled.has(s.parentSpanId)),
        `each ${activity} run is a child of the workflow's schedule of it`,
      );
    }
    assert.equal(named('RunActivity:sampleServiceMetrics').length, 30, 'one per minute of the 30-minute canary');
    assert.equal(run[0]!.resource.attributes['service.name'], 'release-promote-test');
  } finally {
    // Ledgers left running would hold up time skipping for later tests.
    for (const environment of Object.keys(config.environments)) {
      await env.client.workflow
        .getHandle(environmentWorkflowId(environment, taskQueue))
        .terminate('test finished')
        .catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tracing is off unless an OTLP endpoint is configured', () => {
  assert.equal(tracingFromEnv({}), null);
  const on = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' });
  assert.equal(on?.endpoint, 'http://otel-collector:4318');
  assert.equal(
    tracingFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })?.endpoint,
    'http://collector:4318/v1/traces',
  );
});
