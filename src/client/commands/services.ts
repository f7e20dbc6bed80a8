// Long-running commands: the worker, the local dev server and the demo. Each loads its modules (the
// worker SDK, tracing, the integrations) only when it runs, so the other commands start without them.
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as WorkerMain from '../../worker/main';
import type * as DevServer from '../../servers/dev-server';
import type * as Demo from '../demo';
import type * as Scenarios from '../../shared/scenarios';

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
      ctx.exitProcessWhenDone = true;
      const { runWorker } = lazy<typeof WorkerMain>(require, '../../worker/main');
      const worker = await runWorker({ mode: 'service', config: ctx.config(), configFile: ctx.configFile() });
      await worker.done;
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
      const { startDevServer } = lazy<typeof DevServer>(require, '../../servers/dev-server');
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
    .option('--scenario <name>', 'simulated scenario (the built-in ones are listed below)', 'healthy')
    .option('--version <version>', 'version to promote', 'v1.2.3')
    .option('--keep-open', 'keep the dev server and its Web UI running after the release ends (Ctrl-C to stop)')
    // Listed when the help is shown: the scenarios are defined with their schema (zod), which the
    // other commands should not load just to declare this option.
    .addHelpText(
      'after',
      () =>
        `\nScenarios: ${Object.keys(lazy<typeof Scenarios>(require, '../../shared/scenarios').BUILT_IN_SCENARIOS).join(', ')}`,
    )
    .action(async (o: { scenario: string; version: string; keepOpen?: boolean }) => {
      const { runDemo } = lazy<typeof Demo>(require, '../demo');
      ctx.exitCode = await runDemo({
        scenario: o.scenario,
        version: o.version,
        keepOpen: Boolean(o.keepOpen),
        out: (line) => ctx.out(line),
      });
    });
}
