// Long-running commands: the worker, the local dev server and the demo.
import { resolve } from 'node:path';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { connectClient, connectWorker, temporalSettings } from '../connection';
import { createWorker } from '../../worker/create-worker';
import {
  portFromEnv,
  ReleaseMetrics,
  releaseMetricsPlugin,
  startHealthServer,
  visibilityStageCounter,
} from '../../worker/health-server';
import { createJsonLogger, releaseLogAttributesPlugin } from '../../worker/logging';
import { startDevServer } from '../../servers/dev-server';
import { runDemo } from '../demo';
import { tracingFromEnv } from '../../worker/tracing';
import type { CliContext } from '../cli';
import { BUILT_IN_SCENARIOS } from '../../activities/simulated/scenarios';
import { releasePolicy } from '../../config/load';
import { installedPolicy } from '../../config/policy-digest';
import { recordPolicyInForce } from '../../activities/records/policy-log';

export function registerServiceCommands(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run a worker: executes release workflows and their activities (stops gracefully on SIGTERM/SIGINT)')
    .addHelpText(
      'after',
      [
        '',
        'Logs are JSON lines on stdout (level: RELEASE_PROMOTE_LOG_LEVEL, default INFO).',
        'HTTP on RELEASE_PROMOTE_HEALTH_PORT (default 8080): /healthz, /readyz (200 while RUNNING), /metrics (release metrics).',
        'SDK metrics (Prometheus) on RELEASE_PROMOTE_SDK_METRICS_PORT (default 9464).',
        'On SIGTERM/SIGINT in-flight activities get RELEASE_PROMOTE_SHUTDOWN_GRACE (default 30s) to finish; then exit 0.',
      ].join('\n'),
    )
    .action(async () => {
      const config = ctx.config();
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
      if (tracing)
        logger.info(`tracing: spans go to ${tracing.endpoint} (OTLP/HTTP)`, { otlpEndpoint: tracing.endpoint });
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
      let connection: Awaited<ReturnType<typeof connectWorker>> | undefined;
      let health: Awaited<ReturnType<typeof startHealthServer>> | undefined;
      try {
        // Plugins given to the connection are applied to every worker created on it.
        const plugins = [releaseLogAttributesPlugin(), releaseMetricsPlugin(metrics, resolve(config.records.auditDir))];
        connection = await connectWorker({ ...settings, options: { ...settings.options, plugins } });
        // Up before the worker: liveness answers while it starts; readiness waits for RUNNING.
        health = await startHealthServer({ port: healthPort, state: () => state(), metrics });
        const worker = await createWorker({
          config,
          connection,
          client,
          namespace: settings.namespace,
          shutdownGraceTime,
          plugins: tracing ? [tracing.plugin] : [],
          bundleWorkflowsAtStart: tracing !== null,
        });
        state = () => worker.getState();
        // The policy's audit trail: a line when this worker's rules differ from the last recorded.
        const { digest } = installedPolicy(releasePolicy(config, settings.namespace));
        const change = await recordPolicyInForce(resolve(config.records.auditDir), {
          timestamp: new Date().toISOString(),
          digest,
          changed_by: config.change?.by ?? null,
          reference: config.change?.reference ?? null,
          config_file: ctx.configFile() ?? 'built-in defaults',
          worker: `${hostname()}/${process.pid}`,
        });
        logger.info(
          change
            ? `release policy ${digest} takes effect (was ${change.previous_digest ?? 'none recorded'}; changed by ${change.changed_by ?? 'unknown: set change.by in the config'})`
            : `release policy ${digest} (unchanged)`,
          { policyDigest: digest },
        );
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
        await worker.run();
        logger.info('worker stopped');
      } finally {
        await tracing?.shutdown();
        await health?.close();
        await connection?.close();
        await clientConnection.close();
      }
    });

  program
    .command('dev-server')
    .description(
      'run a local Temporal dev server (SQLite, Web UI on :8233) with the release search attributes registered',
    )
    .option('--port <port>', 'gRPC port', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--db-filename <file>', 'SQLite file to keep state across restarts', '.release-promote/dev-server.sqlite')
    .action(async (o: { port: string; uiPort: string; dbFilename: string }) => {
      const server = await startDevServer({ port: Number(o.port), uiPort: Number(o.uiPort), dbFilename: o.dbFilename });
      ctx.out(
        `Temporal dev server on ${server.address}; Web UI ${server.uiUrl ?? '(headless)'}; logs ${server.logFile}. Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });

  program
    .command('demo')
    .description('a complete promotion on an embedded dev server and the simulated target, with demo-scale durations')
    .option('--scenario <name>', `simulated scenario: ${Object.keys(BUILT_IN_SCENARIOS).join(', ')}`, 'healthy')
    .option('--version <version>', 'version to promote', 'v1.2.3')
    .option('--keep-open', 'keep the dev server and its Web UI running after the release ends (Ctrl-C to stop)')
    .action(async (o: { scenario: string; version: string; keepOpen?: boolean }) => {
      process.exitCode = await runDemo({
        scenario: o.scenario,
        version: o.version,
        keepOpen: Boolean(o.keepOpen),
        out: (line) => ctx.out(line),
      });
    });
}
