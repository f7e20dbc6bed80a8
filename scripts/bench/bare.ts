// The bare side: N workflows that only sleep, on their own task queue and worker process.
import type { Client } from '@temporalio/client';
import type { bareWorkflow } from './bare-workflow';
import type { Child } from './processes';
import type { SideDefinition } from './side';

/** Started, one workflow task, TimerStarted: the bare workflow's whole parked history. */
const PARKED_HISTORY_LENGTH = 5;

export function bareSide(client: Client, worker: Child, taskQueue: string, n: number): SideDefinition {
  const ids = Array.from({ length: n }, (_, i) => `bare-${i}`);
  return {
    name: 'bare',
    taskQueue,
    worker,
    hasActivities: false,
    async start(i) {
      await client.workflow.start<typeof bareWorkflow>('bareWorkflow', { taskQueue, workflowId: ids[i]!, args: [] });
    },
    parkable: {
      ids,
      helperIds: [],
      classify: (d) =>
        d.historyLength >= PARKED_HISTORY_LENGTH
          ? { state: 'timer', durable: true }
          : { state: 'starting', durable: false },
      progress: (settled) => Promise.resolve(`bare: ${settled}/${n} parked`),
      check: () => {
        const exit = worker.exit();
        if (exit !== null) throw new Error(`the bare worker exited (${exit}):\n${worker.logTail()}`);
      },
    },
  };
}
