// Activities that call Temporal (the status query behind the evidence files, the ledger's updates)
// need a worker to answer. When no worker answers — the worker running the activity is the one
// shutting down — the call must end with the activity's attempt, not hold it (and the shutdown)
// forever: it is bounded by the attempt's cancellation and by its start-to-close timeout.
//
// The release under test runs on a task queue no worker polls, on a real dev server, so its status
// query cannot be answered.
//
// Run: node --import tsx --test test/worker/activity-temporal-calls.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { parseConfig } from '../../src/config/load';
import { createDevEnv } from '../helpers/temporal-env';
import { ReleasePromotion, startWorkflow } from '../../src/workflow-api';

describe('calls to Temporal from an activity end with its attempt (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  const workflowId = 'release-v9.9.9';
  before(async () => {
    env = await createDevEnv();
    dir = mkdtempSync(join(tmpdir(), 'release-promote-calls-'));
    await startWorkflow(env.client, ReleasePromotion, {
      workflowId,
      taskQueue: 'nobody-polls-this-queue',
      args: [{ kind: 'standard', version: 'v9.9.9', commitSha: 'abc1234', requestedBy: '@dev', ciRunId: null }],
    });
  });
  after(async () => {
    await env?.client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
    await env?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The activity that writes the release's evidence files, from its status query. */
  function writeEvidence(): Promise<string> {
    const config = parseConfig(
      { records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') } },
      'test settings',
    );
    return createActivities(activityDeps(config, env.client)).writeEvidence({ workflowId, version: 'v9.9.9' });
  }

  test('cancelling the attempt (as a worker does when its shutdown grace ends) ends an unanswered query', async () => {
    const attempt = new MockActivityEnvironment({ startToCloseTimeoutMs: 600_000 });
    const started = Date.now();
    const writing = attempt.run(writeEvidence);
    setTimeout(() => attempt.cancel('WORKER_SHUTDOWN'), 500);
    await assert.rejects(writing);
    assert.ok(Date.now() - started < 5_000, `ended ${Date.now() - started} ms after it started`);
  });

  test("an unanswered query ends when the attempt's start-to-close timeout passes", async () => {
    const attempt = new MockActivityEnvironment({ startToCloseTimeoutMs: 1_000 });
    const started = Date.now();
    await assert.rejects(attempt.run(writeEvidence));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 5_000, `ended ${elapsed} ms after it started`);
  });
});
