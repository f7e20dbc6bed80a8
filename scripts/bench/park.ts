// Waiting until a side's workflows are parked: each in its durable wait (a timer, a signal, an
// approval) with nothing left for a worker to do. A stage or a TimerStarted event alone is not
// enough: a release may have entered its soak with audit or evidence activities still queued, so a
// workflow counts as parked only when it has no pending workflow task, activity or child as well, and
// the side is parked once two sweeps in a row find every workflow so and the histories unchanged.
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { mapLimit } from './processes';

export interface Parkable {
  /** The N workflows measured. */
  ids: readonly string[];
  /** Workflows that must be idle too, when they exist (an environment's ledger). */
  helperIds: readonly string[];
  /** Where the workflow is (a stage, "timer"), and whether that is a durable wait. */
  classify(description: WorkflowExecutionDescription): { state: string; durable: boolean };
  /** A cheap visibility count of parked workflows: no describing until it reaches N. */
  countParked?(): Promise<number>;
  /** A line about progress, every few seconds. */
  progress(settled: number): Promise<string>;
  /** Throws when the side cannot park any more (its worker died). */
  check(): void;
}

export interface ParkResult {
  /** Every workflow parked and idle within the time allowed. */
  parked: boolean;
  /** When that was established (the histories say when it happened: see the caller). */
  detectedAtMs: number;
  /** Workflow ID → what it is parked in; "ended: <status>" or "not parked: <stage>" otherwise. */
  states: Map<string, string>;
}

const SWEEP_CONCURRENCY = 16;
const POLL_MS = 1_000;
const PROGRESS_MS = 5_000;

interface Observation {
  state: string;
  /** Parked (or ended) with no work pending. */
  settled: boolean;
  historyLength: number;
}

async function observe(client: Client, id: string, parkable: Parkable | null): Promise<Observation | null> {
  let d: WorkflowExecutionDescription;
  try {
    d = await client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  if (d.status.name !== 'RUNNING')
    return { state: `ended: ${d.status.name}`, settled: true, historyLength: d.historyLength };
  const idle = !d.raw.pendingWorkflowTask && !d.raw.pendingActivities?.length && !d.raw.pendingChildren?.length;
  // A helper (a ledger) only has to be idle: it waits for requests by design.
  const { state, durable } = parkable ? parkable.classify(d) : { state: 'helper', durable: true };
  return { state: durable ? state : `not parked: ${state}`, settled: idle && durable, historyLength: d.historyLength };
}

export async function waitUntilParked(
  client: Client,
  parkable: Parkable,
  o: { timeoutMs: number; log: (line: string) => void },
): Promise<ParkResult> {
  const deadline = Date.now() + o.timeoutMs;
  const states = new Map<string, string>();
  const settled = new Set<string>();
  const measured = new Set(parkable.ids);
  let lastTotal: number | null = null;
  let nextProgress = Date.now() + PROGRESS_MS;
  for (;;) {
    parkable.check();
    if (Date.now() >= nextProgress) {
      o.log(await parkable.progress(settled.size));
      nextProgress = Date.now() + PROGRESS_MS;
    }
    if (Date.now() >= deadline) {
      // Where each one got to, for the report (visibility counts alone do not say).
      const detectedAtMs = Date.now();
      await mapLimit(parkable.ids, SWEEP_CONCURRENCY, async (id) => {
        states.set(id, (await observe(client, id, parkable))?.state ?? 'not started');
      });
      return { parked: false, detectedAtMs, states };
    }
    const counted = settled.size === 0 && parkable.countParked ? await parkable.countParked() : parkable.ids.length;
    if (counted >= parkable.ids.length) {
      const unsettled = parkable.ids.filter((id) => !settled.has(id));
      await mapLimit(unsettled, SWEEP_CONCURRENCY, async (id) => {
        const seen = await observe(client, id, parkable);
        states.set(id, seen?.state ?? 'not started');
        if (seen?.settled) settled.add(id);
      });
      if (settled.size === parkable.ids.length) {
        // Everyone looked parked at some point: confirm with a full sweep, helpers included.
        const sweepStarted = Date.now();
        const all = await mapLimit([...parkable.ids, ...parkable.helperIds], SWEEP_CONCURRENCY, async (id) => {
          const helper = !measured.has(id);
          const seen = await observe(client, id, helper ? null : parkable);
          if (!helper) {
            states.set(id, seen?.state ?? 'not started');
            if (!seen?.settled) settled.delete(id);
          }
          return seen ?? { state: 'absent', settled: true, historyLength: 0 };
        });
        const total = all.reduce((sum, seen) => sum + seen.historyLength, 0);
        const quiet = all.every((seen) => seen.settled);
        if (quiet && total === lastTotal) return { parked: true, detectedAtMs: sweepStarted, states };
        lastTotal = quiet ? total : null;
      }
    }
    await delay(POLL_MS);
  }
}
