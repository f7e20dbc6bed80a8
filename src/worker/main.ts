// The worker, as `release-promote worker` runs it (service: JSON logs, health and metrics endpoints,
// tracing, the policy's audit line) or as the demo embeds it (a dev server's address, notifications
// as console lines). The one entry the CLI uses to run a worker.
import { hostname } from 'node:os';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from '../config/schema';
import { releasePolicy } from '../config/load';
import { installedPolicy } from '../config/policy-digest';
import { ConsoleNotifier } from '../activities/notify/console';
import { openRecordsStore } from '../records/open-store';
import { RecordsSchemaBehind, type RecordsStore } from '../records/store';
import {
  connectClient,
  temporalSettings,
  TemporalUnreachableError,
  type TemporalSettings,
} from '../workflow-api/connection';
import { createWorker } from './create-worker';
import {
  portFromEnv,
  ReleaseMetrics,
  releaseMetricsPlugin,
  startHealthServer,
  visibilityStageCounter,
} from './health-server';
import { createJsonLogger, releaseLogAttributesPlugin } from './logging';
import { tracingFromEnv } from './tracing';

export type RunWorkerOptions =
  | {
      mode: 'service';
      config: Config;
      /** The config file the worker read (audited with the policy), or null for the built-in defaults. */
      configFile: string | null;
    }
  | {
      mode: 'embedded';
      config: Config;
      /** Where the dev server listens. */
      address: string;
      /** Each notification as one line. */
      notify: (line: string) => void;
    };

export interface RunningWorker {
  /** Resolves when the worker has stopped (after SIGTERM/SIGINT, or `stop()`). */
  done: Promise<void>;
  stop(): void;
}

export async function runWorker(options: RunWorkerOptions): Promise<RunningWorker> {
  return options.mode === 'service'
    ? runService(options.config, options.configFile)
    : runEmbedded(options.config, options.address, options.notify);
}

async function runEmbedded(config: Config, address: string, notify: (line: string) => void): Promise<RunningWorker> {
  // Retried activities and the like are the worker's business; the demo shows the release itself.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const settings: TemporalSettings = { address, namespace: 'default', options: { address } };
  const { client, connection: clientConnection } = await connectClient(settings);
  const connection = await connectWorker(settings);
  const worker = await createWorker({
    config,
    connection,
    client,
    namespace: settings.namespace,
    shutdownGraceTime: '5s',
    notifier: new ConsoleNotifier(notify),
  });
  const done = worker.run().finally(async () => {
    await connection.close();
    await clientConnection.close();
  });
  return { done, stop: () => worker.shutdown() };
}

async function runService(config: Config, configFile: string | null): Promise<RunningWorker> {
  const healthPort = portFromEnv('RELEASE_PROMOTE_HEALTH_PORT', 8080);
  const sdkMetricsPort = portFromEnv('RELEASE_PROMOTE_SDK_METRICS_PORT', 9464);
  const shutdownGraceTime = process.env.RELEASE_PROMOTE_SHUTDOWN_GRACE || '30s';
  // The Runtime must be installed before the first NativeConnection: it owns logging and the
  // SDK's metrics exporter. Its shutdownSignals (SIGINT, SIGTERM, ...) stop the worker gracefully.
  const logger = createJsonLogger();
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      metrics: { prometheus: { bindAddress: `0.0.0.0:${sdkMetricsPort}` } },
    },
  });
  const tracing = tracingFromEnv();
  if (tracing) logger.info(`tracing: spans go to ${tracing.endpoint} (OTLP/HTTP)`, { otlpEndpoint: tracing.endpoint });
  const settings = temporalSettings();
  const { client, connection: clientConnection } = await connectClient(settings);
  let state = (): string => 'INITIALIZED';
  const metrics = new ReleaseMetrics({
    countStage: visibilityStageCounter(client),
    ready: () => state() === 'RUNNING',
    warn: (message, meta) => {
      logger.warn(message, meta);
    },
  });
  let connection: NativeConnection | undefined;
  let health: Awaited<ReturnType<typeof startHealthServer>> | undefined;
  const records = openRecordsStore(config.records, (message) => {
    logger.warn(message);
  });
  const cleanup = async () => {
    await tracing?.shutdown();
    await health?.close();
    await connection?.close();
    await clientConnection.close();
    await records.close();
  };
  try {
    await checkRecordsStore(records, logger);
    // Plugins given to the connection are applied to every worker created on it.
    const plugins = [releaseLogAttributesPlugin(), releaseMetricsPlugin(metrics, records)];
    connection = await connectWorker({ ...settings, options: { ...settings.options, plugins } });
    // Up before the worker: liveness answers while it starts; readiness waits for RUNNING and the store.
    health = await startHealthServer({ port: healthPort, state: () => state(), metrics, records });
    const worker = await createWorker({
      config,
      connection,
      client,
      namespace: settings.namespace,
      shutdownGraceTime,
      records,
      plugins: tracing ? [tracing.plugin] : [],
      bundleWorkflowsAtStart: tracing !== null,
    });
    state = () => worker.getState();
    await auditPolicy(records, config, configFile, settings.namespace, logger);
    logger.info(
      `worker polling task queue "${config.temporal.taskQueue}" on ${settings.address} (namespace ${settings.namespace})`,
      {
        taskQueue: config.temporal.taskQueue,
        namespace: settings.namespace,
        healthPort: health.port,
        sdkMetricsPort,
        shutdownGraceTime,
      },
    );
    const done = worker
      .run()
      .then(() => {
        logger.info('worker stopped');
      })
      .finally(cleanup);
    return { done, stop: () => worker.shutdown() };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * A store whose schema is behind this code stops the worker before it takes work, naming the command
 * that fixes it. An unreachable store does not: the worker starts (rollbacks need it), its record
 * activities retry until the store is back, and readiness reports the store.
 */
async function checkRecordsStore(records: RecordsStore, logger: ReturnType<typeof createJsonLogger>): Promise<void> {
  try {
    await records.check();
    logger.info(`records store: ${records.description}`, { recordsStore: records.kind });
  } catch (err) {
    if (err instanceof RecordsSchemaBehind) throw err;
    logger.warn(`records store not reachable at start; record activities will retry: ${(err as Error).message}`, {
      recordsStore: records.kind,
    });
  }
}

/** The policy's audit trail: a line when this worker's rules differ from the last recorded. */
async function auditPolicy(
  records: RecordsStore,
  config: Config,
  configFile: string | null,
  namespace: string,
  logger: ReturnType<typeof createJsonLogger>,
): Promise<void> {
  const { digest } = installedPolicy(releasePolicy(config, namespace));
  const entry = {
    timestamp: new Date().toISOString(),
    digest,
    changed_by: config.change?.by ?? null,
    reference: config.change?.reference ?? null,
    config_file: configFile ?? 'built-in defaults',
    worker: `${hostname()}/${process.pid}`,
  };
  let change;
  try {
    change = await records.recordPolicyInForce(entry);
  } catch (err) {
    // The store is down: the worker runs on, and the change is recorded once the store answers.
    logger.warn(`release policy ${digest} not recorded yet: ${(err as Error).message}; retrying every 15 s`, {
      policyDigest: digest,
    });
    const retry = setInterval(() => {
      records.recordPolicyInForce(entry).then(
        () => clearInterval(retry),
        () => undefined,
      );
    }, 15_000);
    retry.unref();
    return;
  }
  logger.info(
    change
      ? `release policy ${digest} takes effect (was ${change.previous_digest ?? 'none recorded'}; changed by ${change.changed_by ?? 'unknown: set change.by in the config'})`
      : `release policy ${digest} (unchanged)`,
    { policyDigest: digest },
  );
}

async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ ...settings.options, address: settings.address });
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${settings.address} (${(err as Error).message.split('\n')[0]}); set TEMPORAL_ADDRESS`,
    );
  }
}
