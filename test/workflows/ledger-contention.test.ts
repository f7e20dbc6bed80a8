// The environment ledger under a burst: a thousand workflows ask one environment for its lease at
// once, on the dev server. Requests and grants are signals, so nothing meets the server's limit of
// 10 Updates in flight per workflow; the ledger grants the environment in the order requests came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createDevEnv } from '../helpers/temporal-env';
import { createHarness } from '../helpers/release-harness';
import { createActivities } from '../../src/activities';
import { environmentWorkflowId } from '../../src/shared/identifiers';

const N = 1000;
const EventType = temporal.api.enums.v1.EventType;

test(`${N} lease requests on one environment are granted one at a time, in the order they arrived, with no Update and no failed workflow task`, async () => {
  const env = await createDevEnv();
  const h = await createHarness(env);
  try {
    const environment = 'staging';
    const holders = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: `${h.config.temporal.taskQueue}-holders`,
      workflowsPath: require.resolve('../fixtures/lease-holders'),
      activities: createActivities(h.deps),
      maxConcurrentWorkflowTaskExecutions: 100,
    });
    const ids = Array.from({ length: N }, (_, i) => `lease-holder-${String(i).padStart(4, '0')}`);
    await h.worker.runUntil(
      holders.runUntil(async () => {
        const handles = [];
        for (let i = 0; i < ids.length; i += 50)
          handles.push(
            ...(await Promise.all(
              ids.slice(i, i + 50).map((workflowId) =>
                env.client.workflow.start('leaseHolder', {
                  workflowId,
                  taskQueue: `${h.config.temporal.taskQueue}-holders`,
                  args: [environment],
                }),
              ),
            )),
          );
        await Promise.all(handles.map((handle) => handle.result()));
      }),
    );

    const ledgerId = environmentWorkflowId(environment, h.config.temporal.taskQueue);
    const events = await allRunsEvents(env.client, ledgerId);
    const requested = signalled(events, 'requestLease');
    assert.equal(new Set(requested).size, N, 'every holder asked once');
    // A holder hands the environment on as soon as it has it, and the ledger grants the next request
    // only when the holder has handed it on: the order of hand-ons is the order of grants.
    assert.deepEqual(signalled(events, 'releaseLease'), requested, 'granted in the order the requests arrived');
    assert.equal(grantsWhileHeld(events), 0, 'never granted while another holder had it');
    const failed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    assert.equal(
      failed.length,
      0,
      `no failed ledger workflow task: ${failed.map((e) => e.workflowTaskFailedEventAttributes?.cause).join(', ')}`,
    );
    const updates = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    assert.equal(updates.length, 0, 'no Update reached the ledger');
    const holderFailures = await Promise.all(
      ids.map(
        async (id) =>
          (await env.client.workflow.getHandle(id).fetchHistory()).events!.filter(
            (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          ).length,
      ),
    );
    assert.equal(
      holderFailures.reduce((a, b) => a + b, 0),
      0,
      'no failed workflow task in any holder',
    );
  } finally {
    await h.cleanup();
    await env.teardown();
  }
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The ledger's events over every run (it continues as new when its history grows), oldest first. */
async function allRunsEvents(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const runs: Array<{ runId: string; startTime: Date }> = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    runs.push({ runId: run.runId, startTime: run.startTime });
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const events: HistoryEvent[] = [];
  for (const { runId } of runs)
    events.push(...((await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []));
  return events;
}

function payloadJson(payloads: temporal.api.common.v1.IPayloads | null | undefined): unknown {
  const data = payloads?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

/** Workflow IDs of the requests in the order the ledger received them. */
function signalled(events: HistoryEvent[], name: string): string[] {
  return events
    .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name)
    .map((e) => (payloadJson(e.workflowExecutionSignaledEventAttributes!.input) as { workflowId: string }).workflowId);
}

/** Grants (an immediate answer or a later grant) sent while an earlier holder had not handed the environment on. */
function grantsWhileHeld(events: HistoryEvent[]): number {
  let holder: string | null = null;
  let count = 0;
  for (const e of events) {
    const sent = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    const to = sent?.workflowExecution?.workflowId ?? '';
    const grant =
      sent?.signalName === 'environmentGranted' ||
      (sent?.signalName === 'leaseAnswer' && (payloadJson(sent.input) as { granted: boolean }).granted);
    if (grant) {
      if (holder !== null && holder !== to) count++;
      holder = to;
    }
    if (signalled([e], 'releaseLease')[0] === holder) holder = null;
  }
  return count;
}
