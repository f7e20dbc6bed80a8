// The two workers under measurement, each its own process so /proc gives its CPU time and peak RSS:
// the product's (`release-promote worker`, exactly as an operator runs it, with the simulated
// integrations the demo uses and the real default durations, so releases park in a 2 h soak) and
// the bare workflow's (bare-worker.ts).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { childEnv, freePort, spawnLogged, timedRun, type Child } from './processes';

const ROOT = path.join(__dirname, '..', '..');
export const RELEASE_PROMOTE_BIN = path.join(ROOT, 'bin', 'release-promote.mjs');
const { TaskQueueType } = temporal.api.enums.v1;

/**
 * What bin/release-promote.mjs runs right now: the compiled dist/ or the sources through tsx. It
 * decides on every start (dist/ when its build stamp is newer than every source), and the two
 * differ several-fold in start-up time and memory, so the report says which one it measured.
 */
export async function binRunsFrom(): Promise<'dist/' | 'src/ (tsx)'> {
  if (!existsSync(path.join(ROOT, 'src', 'client', 'cli.ts'))) return 'dist/';
  const stampModule = path.join(ROOT, 'bin', 'dist-stamp.mjs');
  // A bin/ without the stamp check runs the sources whenever they exist.
  if (!existsSync(stampModule)) return 'src/ (tsx)';
  const stamp = (await import(pathToFileURL(stampModule).href)) as { distIsCurrent: (root: string) => boolean };
  return stamp.distIsCurrent(ROOT) ? 'dist/' : 'src/ (tsx)';
}

/**
 * The product's config: every default (2 h soak, one staging and one production environment, all
 * simulated, console notifications, the files records store), with its state in the run's directory.
 */
export function writeProductConfig(dir: string, taskQueue: string): { file: string; config: Config } {
  const raw = {
    temporal: { taskQueue },
    // Admission wants someone who may approve; nobody approves during the benchmark.
    roles: { RELEASE_APPROVER: ['@alice', '@bob'] },
    simulation: { scenario: 'healthy', stateDir: path.join(dir, 'simulated') },
    records: {
      store: 'files',
      auditDir: path.join(dir, 'audit'),
      evidenceDir: path.join(dir, 'evidence'),
      sotDir: path.join(dir, 'sot'),
    },
  };
  const file = path.join(dir, 'release-promote.yaml');
  // Parsed here first, so a config the schema no longer accepts fails before a worker starts.
  const config = parseConfig(raw, file);
  writeFileSync(file, stringify(raw));
  return { file, config };
}

export async function startProductWorker(o: { dir: string; address: string; configFile: string }): Promise<Child> {
  return spawnLogged(
    'product worker',
    process.execPath,
    [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), RELEASE_PROMOTE_BIN, 'worker'],
    {
      // From the checkout, as an operator runs it there (tsx reads the project's tsconfig from the cwd).
      cwd: ROOT,
      logFile: path.join(o.dir, 'product-worker.log'),
      env: childEnv({
        TEMPORAL_ADDRESS: o.address,
        TEMPORAL_NAMESPACE: 'default',
        RELEASE_PROMOTE_CONFIG: o.configFile,
        RELEASE_PROMOTE_HEALTH_PORT: String(await freePort()),
        RELEASE_PROMOTE_SDK_METRICS_PORT: String(await freePort()),
        // Parked releases have nothing in flight: no reason to wait 30 s when the benchmark stops it.
        RELEASE_PROMOTE_SHUTDOWN_GRACE: '2s',
      }),
    },
  );
}

const BARE_WORKER = path.join(__dirname, 'bare-worker.ts');

/** Bundles the bare workflow once (in a child: webpack's memory stays out of this process). */
export async function bundleBareWorkflow(dir: string): Promise<string> {
  const out = path.join(dir, 'bare-workflow-bundle.js');
  const result = await timedRun(
    process.execPath,
    ['--import', 'tsx', BARE_WORKER],
    childEnv({ BENCH_BUNDLE_OUT: out }),
  );
  if (result.code !== 0) throw new Error(`bundling the bare workflow failed:\n${result.stderr.trim()}`);
  return out;
}

export function startBareWorker(o: { dir: string; address: string; taskQueue: string; bundle: string }): Child {
  return spawnLogged('bare worker', process.execPath, ['--import', 'tsx', BARE_WORKER], {
    cwd: ROOT,
    logFile: path.join(o.dir, 'bare-worker.log'),
    env: childEnv({ TEMPORAL_ADDRESS: o.address, BENCH_TASK_QUEUE: o.taskQueue, BENCH_WORKFLOW_BUNDLE: o.bundle }),
  });
}

/**
 * Waits until the worker polls its task queue (workflow tasks, and activity tasks when it has
 * activities): from then on it is ready, and its start-up (bundling included) is behind it.
 */
export async function waitUntilPolling(
  client: Client,
  worker: Child,
  taskQueue: string,
  o: { activities: boolean; timeoutMs?: number },
): Promise<void> {
  const types = [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW];
  if (o.activities) types.push(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  for (;;) {
    const exit = worker.exit();
    if (exit !== null) throw new Error(`the ${worker.name} exited (${exit}) before it polled:\n${worker.logTail()}`);
    if (Date.now() > deadline)
      throw new Error(`the ${worker.name} did not poll ${taskQueue} in time (log: ${worker.logFile})`);
    const polled = await Promise.all(
      types.map(async (taskQueueType) => {
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        });
        return pollers.length > 0;
      }),
    );
    if (polled.every(Boolean)) return;
    await delay(250);
  }
}
