// The product side: N releases started through the project's own starter (src/client/start-release.ts,
// what `release-promote start` runs: the re-run check, the start, the worker's admission), on the
// real worker process. With one staging environment one release soaks and the others queue for it.
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startRelease } from '../../src/client/start-release';
import type { Config } from '../../src/config/schema';
import { environmentWorkflowId, releaseWorkflowId } from '../../src/shared/identifiers';
import type { ReleaseStage } from '../../src/shared/release';
import { ReleaseStageAttribute } from '../../src/shared/search-attributes';
import type { Child } from './processes';
import type { SideDefinition } from './side';

/** The durable waits a release can reach without a person: the soak, the queue for staging, the approval. */
export const PARKED_STAGES: readonly ReleaseStage[] = ['STAGING_SOAK', 'WAITING_FOR_ENVIRONMENT', 'AWAITING_APPROVAL'];
/** The stages a release passes through on its way there, for the progress lines. */
const PROGRESS_STAGES: readonly ReleaseStage[] = ['DEV_GATES', 'DEPLOYING_STAGING', ...PARKED_STAGES];

export const benchVersion = (i: number): string => `v9.0.${i}`;
const benchCommit = (i: number): string => createHash('sha1').update(`bench-${i}`).digest('hex');

export function productSide(client: Client, worker: Child, config: Config, n: number): SideDefinition {
  const taskQueue = config.temporal.taskQueue;
  const ids = Array.from({ length: n }, (_, i) => releaseWorkflowId(benchVersion(i)));
  const running = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  const inStages = (stages: readonly ReleaseStage[]) =>
    `${running} AND ReleaseStage IN (${stages.map((s) => `"${s}"`).join(', ')})`;
  return {
    name: 'product',
    taskQueue,
    worker,
    hasActivities: true,
    async start(i) {
      const outcome = await startRelease(client, config, {
        version: benchVersion(i),
        commitSha: benchCommit(i),
        requestedBy: '@release-bot',
        ciRunId: `bench-${i}`,
      });
      if (!outcome.started) throw new Error(`not started: ${outcome.message}`);
    },
    parkable: {
      ids,
      helperIds: Object.keys(config.environments).map((environment) => environmentWorkflowId(environment, taskQueue)),
      classify(d) {
        const stage = d.typedSearchAttributes.get(ReleaseStageAttribute) ?? 'no stage';
        return { state: stage, durable: (PARKED_STAGES as readonly string[]).includes(stage) };
      },
      // One count query a second until visibility says all are in a durable wait; then describes.
      countParked: async () => (await client.workflow.count(inStages(PARKED_STAGES))).count,
      async progress(settled) {
        const counts = await Promise.all(
          PROGRESS_STAGES.map(async (stage) => `${stage} ${(await client.workflow.count(inStages([stage]))).count}`),
        );
        return `product: ${counts.join(', ')}; ${settled}/${n} parked and idle`;
      },
      check() {
        const exit = worker.exit();
        if (exit !== null) throw new Error(`the product worker exited (${exit}):\n${worker.logTail()}`);
      },
    },
  };
}
