// One side of the comparison at one N: start N workflows at full speed (bounded concurrency), wait
// until they are parked, and measure the worker (/proc), the server's CPU and the histories.
import type { Client } from '@temporalio/client';
import { executionsOn, fetchStats, type WorkflowStats } from './history-stats';
import { waitUntilParked, type Parkable, type ParkResult } from './park';
import { cpuSeconds, memory, resetPeak } from './proc-stats';
import { mapLimit, type Child } from './processes';
import { waitUntilPolling } from './workers';

export interface SideDefinition {
  name: 'product' | 'bare';
  taskQueue: string;
  worker: Child;
  /** Whether its worker polls for activities (the bare one has none). */
  hasActivities: boolean;
  /** Starts the i-th workflow (0-based) and resolves when the starter would report it started. */
  start(i: number): Promise<void>;
  parkable: Parkable;
}

export interface SideRun {
  name: SideDefinition['name'];
  n: number;
  startFailures: string[];
  firstStartMs: number;
  /** From the first start request to the last start's answer. */
  startSeconds: number;
  park: ParkResult;
  /** From the first start request to the last event of any of the side's workflows, parked. */
  timeToParkSeconds: number;
  /** The N measured workflows. */
  measured: WorkflowStats[];
  /** The side's other workflows on its task queue (the environments' ledgers). */
  helpers: WorkflowStats[];
  worker: {
    /** CPU seconds from ready (polling) to parked. */
    cpuSeconds: number;
    startupCpuSeconds: number;
    /** Peak RSS from ready to parked (MiB); the lifetime peak when the kernel refused the reset. */
    peakMiB: number;
    startupPeakMiB: number;
    peakIsLifetime: boolean;
  };
  serverCpuSeconds: number;
}

export async function measureSide(
  client: Client,
  side: SideDefinition,
  o: { n: number; concurrency: number; parkTimeoutMs: number; serverPid: number; log: (line: string) => void },
): Promise<SideRun> {
  const { worker } = side;
  await waitUntilPolling(client, worker, side.taskQueue, { activities: side.hasActivities });
  const startupCpuSeconds = cpuSeconds(worker.pid);
  const startupPeakMiB = memory(worker.pid).peakMiB;
  const peakReset = resetPeak(worker.pid);
  const serverCpuBefore = cpuSeconds(o.serverPid);
  o.log(`${side.name}: worker ready (start-up ${startupCpuSeconds.toFixed(1)} s CPU); starting ${o.n} workflows`);

  const startFailures: string[] = [];
  const firstStartMs = Date.now();
  let started = 0;
  const ticker = setInterval(() => o.log(`${side.name}: ${started}/${o.n} started`), 5_000);
  try {
    await mapLimit(
      Array.from({ length: o.n }, (_, i) => i),
      o.concurrency,
      async (i) => {
        try {
          await side.start(i);
        } catch (err) {
          startFailures.push(`#${i}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
        started++;
      },
    );
  } finally {
    clearInterval(ticker);
  }
  const startSeconds = (Date.now() - firstStartMs) / 1000;
  o.log(
    `${side.name}: ${o.n} starts in ${startSeconds.toFixed(1)} s (${startFailures.length} failed); waiting until parked`,
  );

  const park = await waitUntilParked(client, side.parkable, { timeoutMs: o.parkTimeoutMs, log: o.log });
  const cpuAtPark = cpuSeconds(worker.pid);
  const peakAtPark = memory(worker.pid).peakMiB;
  const serverCpuSeconds = cpuSeconds(o.serverPid) - serverCpuBefore;
  o.log(`${side.name}: ${park.parked ? 'parked' : 'NOT parked in time'}; reading histories`);

  const measuredIds = new Set(side.parkable.ids);
  // Visibility has every run (a ledger that continued as new has several); a measured workflow it
  // has not indexed yet is read by its ID.
  const executions = await executionsOn(client, side.taskQueue);
  const listed = new Set(executions.map((e) => e.workflowId));
  const unlisted = side.parkable.ids.filter((id) => !listed.has(id)).map((workflowId) => ({ workflowId }));
  const all = await fetchStats(client, [...executions, ...unlisted], park.detectedAtMs);
  const measured = all.filter((s) => measuredIds.has(s.workflowId));
  const helpers = all.filter((s) => !measuredIds.has(s.workflowId));
  const lastEventMs = Math.max(...all.map((s) => s.lastEventMs).filter(Number.isFinite));
  return {
    name: side.name,
    n: o.n,
    startFailures,
    firstStartMs,
    startSeconds,
    park,
    timeToParkSeconds: (lastEventMs - firstStartMs) / 1000,
    measured,
    helpers,
    worker: {
      cpuSeconds: cpuAtPark - startupCpuSeconds,
      startupCpuSeconds,
      peakMiB: peakReset ? peakAtPark : Math.max(peakAtPark, startupPeakMiB),
      startupPeakMiB,
      peakIsLifetime: !peakReset,
    },
    serverCpuSeconds,
  };
}
