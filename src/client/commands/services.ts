// Long-running commands: the worker, the local dev server and the demo.
import type { Command } from 'commander';
import { connectClient, connectWorker, temporalSettings } from '../connection';
import { createWorker } from '../../worker/create-worker';
import { startDevServer } from '../../servers/dev-server';
import { runDemo } from '../demo';
import type { CliContext } from '../cli';
import { BUILT_IN_SCENARIOS } from '../../activities/simulated/scenarios';

export function registerServiceCommands(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run a worker: executes release workflows and their activities (stops gracefully on SIGTERM/SIGINT)')
    .action(async () => {
      const config = ctx.config();
      const settings = temporalSettings();
      const connection = await connectWorker(settings);
      const { client } = await connectClient(settings);
      const worker = await createWorker({ config, connection, client, namespace: settings.namespace });
      ctx.out(`worker polling task queue "${config.temporal.taskQueue}" on ${settings.address} (namespace ${settings.namespace})`);
      await worker.run();
      await connection.close();
      ctx.out('worker stopped');
    });

  program
    .command('dev-server')
    .description('run a local Temporal dev server (SQLite, Web UI on :8233) with the release search attributes registered')
    .option('--port <port>', 'gRPC port', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--db-filename <file>', 'SQLite file to keep state across restarts', '.release-promote/dev-server.sqlite')
    .action(async (o: { port: string; uiPort: string; dbFilename: string }) => {
      const server = await startDevServer({ port: Number(o.port), uiPort: Number(o.uiPort), dbFilename: o.dbFilename });
      ctx.out(`Temporal dev server on ${server.address}; Web UI ${server.uiUrl ?? '(headless)'}; logs ${server.logFile}. Ctrl-C to stop.`);
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
      process.exitCode = await runDemo({ scenario: o.scenario, version: o.version, keepOpen: Boolean(o.keepOpen), out: ctx.out });
    });
}
