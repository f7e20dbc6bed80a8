// Long-lived states on the time-skipping server, with the default 1 min analysis and 15 min reminders:
// a canary paused for 48 hours continues as new before any run's history grows past a bound, keeps
// its state across the runs (paused time, evaluations, approvals, the audit trail's sequence, the
// environment lease), refuses and accepts decisions as before, and resumes to PROMOTED. A release
// waiting 48 hours for approval is measured too: it grows slowly enough not to need a new run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { scenarioFile, skipUntil } from '../helpers/canary-harness';
import { HOUR, MINUTE, approve, refusal, withHarness } from '../helpers/release-harness';
import { pauseDecisionUpdate } from '../../src/shared/messages';
import type { AuditEntry } from '../../src/shared/audit';
import { CONTINUE_AS_NEW_AT_EVENTS } from '../../src/shared/carried-release';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import { environmentRecordsQuery } from '../../src/shared/ledger';

const { EventType } = temporal.api.enums.v1;
/** One evaluation round and its hand-over add at most this many events past the bound. */
const BOUND = CONTINUE_AS_NEW_AT_EVENTS + 100;

let env: TestWorkflowEnvironment;
let dir: string;
before(async () => {
  env = await createTimeSkippingEnv();
  dir = mkdtempSync(join(tmpdir(), 'long-pause-'));
});
after(async () => {
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every run of a workflow ID, oldest first, with its history length and how it ended. */
async function runsOf(client: Client, workflowId: string, firstRunId: string) {
  const runs: Array<{ runId: string; events: number; last: string }> = [];
  for (let runId: string | null = firstRunId; runId;) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const last: temporal.api.history.v1.IHistoryEvent = events[events.length - 1]!;
    runs.push({ runId, events: events.length, last: EventType[last.eventType ?? 0] ?? '' });
    runId = last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
  }
  return runs;
}

function auditTrail(root: string, version: string): AuditEntry[] {
  return readFileSync(join(root, 'audit', `${version}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEntry);
}

test('a canary paused for 48 h continues as new under the event bound, keeps its state and resumes to PROMOTED', async () => {
  // P99 +28% from minute 5 to 10: the canary pauses at minute 5 and stays paused until someone decides.
  const scenario = scenarioFile(dir, 'p99-pause', [{ fromMinute: 5, untilMinute: 10, p99Ms: 230 }]);
  const config = { stages: { canary: { pauseDeadline: '72h' } } };
  await withHarness(env, { scenario, config }, async (h) => {
    const handle = await h.start({ version: 'v5.0.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await approve(handle, '@alice');
    const firstRunId = handle.firstExecutionRunId;
    const paused = await skipUntil(env, h, handle, ['CANARY_PAUSED']);
    const atPause = paused.canary.elapsedMs;

    await env.sleep(48 * HOUR);
    const after48h = await h.status(handle);
    assert.equal(after48h.stage, 'CANARY_PAUSED');
    assert.equal(after48h.canary.elapsedMs, atPause, 'paused time did not count, across runs');
    assert.deepEqual(after48h.canary.paused, paused.canary.paused, 'the pause (since, reason) was carried');
    assert.deepEqual(after48h.approval.approvals, paused.approval.approvals, 'the approvals were carried');
    assert.notEqual(after48h.runId, firstRunId, 'the status comes from a later run');

    const runs = await runsOf(h.client, handle.workflowId, firstRunId);
    const sizes = runs.map((r) => r.events);
    console.log(`# 48 h paused: ${runs.length} runs of ${sizes.join(', ')} events (bound ${BOUND})`);
    assert.ok(runs.length >= 3, `continued as new: ${runs.length} runs`);
    for (const run of runs.slice(0, -1)) assert.equal(run.last, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    assert.ok(Math.max(...sizes) <= BOUND, `every run stays under ${BOUND} events: ${sizes.join(', ')}`);

    // Reminders went on in every run (every 15 min: about 192 in 48 h), in the release's thread.
    const reminders = h.notifications.filter((n) => n.kind === 'pause-reminder');
    assert.ok(reminders.length >= 180 && reminders.length <= 200, `${reminders.length} reminders`);

    // The lease on production went with the release: nobody else holds it.
    const production = await h.client.workflow
      .getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue))
      .query(environmentRecordsQuery);
    assert.equal(production.lease?.workflowId, handle.workflowId);

    // Decisions reach the latest run, with the same rules.
    const decide = (approver: string) =>
      handle.executeUpdate(pauseDecisionUpdate, {
        args: [{ approver, channel: 'cli', decision: 'resume', reason: null }],
      });
    assert.match(await refusal(decide('@mallory')), /@mallory does not hold RELEASE_APPROVER/);
    await decide('@alice');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);

    const done = await h.status(handle);
    assert.ok(
      done.canary.elapsedMs >= 30 * MINUTE && done.canary.elapsedMs < 31 * MINUTE,
      `canary time ${done.canary.elapsedMs / MINUTE} min, paused time excluded`,
    );
    // One audit trail over every run: sequence numbers without a gap or a repeat.
    const trail = auditTrail(h.dir, 'v5.0.0');
    assert.deepEqual(
      trail.map((e) => e.seq),
      trail.map((_, i) => i + 1),
    );
    assert.ok(trail.some((e) => e.action === 'resume' && e.approved_by === '@alice'));
    assert.equal(trail[trail.length - 1]!.internal_stage, 'PROMOTED');
  });
});

test('a release waiting 48 h for approval grows its history slowly (no new run needed)', async () => {
  await withHarness(env, {}, async (h) => {
    const handle = await h.start({ version: 'v5.1.0' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await env.sleep(2 * HOUR + MINUTE);
    assert.equal((await h.status(handle)).stage, 'AWAITING_APPROVAL');
    const before = (await handle.fetchHistory()).events ?? [];
    await env.sleep(48 * HOUR);
    assert.equal((await h.status(handle)).stage, 'AWAITING_APPROVAL');
    const after48h = (await handle.fetchHistory()).events ?? [];
    const grown = after48h.length - before.length;
    console.log(`# 48 h awaiting approval: +${grown} events (${after48h.length} in all)`);
    assert.ok(grown <= 48 * 12, `${grown} events in 48 h (hourly reminders)`);
  });
});
