// The release-promote worker: the workflows (from the prebuilt bundle when there is one, so it
// starts fast) and the activities built from the config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type NativeConnection, type WorkerPlugin } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { createActivities } from '../activities';
import type { Notifier } from '../activities/ports';
import { activityDeps } from '../activities/deps';
import type { RecordsStore } from '../records/store';

export const PREBUILT_BUNDLE = join(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

export interface WorkerSetup {
  config: Config;
  connection: NativeConnection;
  client: Client;
  namespace: string;
  notifier?: Notifier;
  /** The records store (default: opened from the config's `records`). */
  records?: RecordsStore;
  /** How long in-flight activities may run on after SIGTERM before the worker stops. */
  shutdownGraceTime?: string;
  /** Plugins for this worker alone (tracing); the connection's plugins apply as well. */
  plugins?: WorkerPlugin[];
  /** Bundle the workflows at start even when a prebuilt bundle exists: plugins that add workflow interceptor modules (tracing) need them in the bundle. */
  bundleWorkflowsAtStart?: boolean;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const activities = createActivities(
    activityDeps(setup.config, setup.client, { notifier: setup.notifier, records: setup.records }),
  );
  // Running from TypeScript sources (development, tests) always bundles the current workflow code;
  // a built install uses the bundle made at build time.
  const fromSource = __filename.endsWith('.ts');
  const workflows =
    !fromSource && !setup.bundleWorkflowsAtStart && existsSync(PREBUILT_BUNDLE)
      ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
      : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.config.temporal.taskQueue,
    activities,
    ...workflows,
    shutdownGraceTime: setup.shutdownGraceTime ?? '30s',
    plugins: setup.plugins,
  });
}
