// The bare workflow's worker, run as its own process (like the product's worker) so the benchmark can
// read its CPU time and peak memory from /proc. Worker options are the SDK defaults, as the product's
// worker uses them, and it loads a workflow bundle made beforehand, as an installed product worker
// loads dist/workflow-bundle.js: webpack's start-up work and memory are not part of what is measured.
//
// Env: TEMPORAL_ADDRESS (host:port), BENCH_TASK_QUEUE, BENCH_WORKFLOW_BUNDLE (the bundle's path).
// With BENCH_BUNDLE_OUT set instead, it writes that bundle and exits.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

async function bundle(out: string): Promise<void> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./bare-workflow'),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
  });
  writeFileSync(out, code);
}

async function run(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS;
  const taskQueue = process.env.BENCH_TASK_QUEUE;
  const codePath = process.env.BENCH_WORKFLOW_BUNDLE;
  if (!address || !taskQueue || !codePath)
    throw new Error('bare-worker: set TEMPORAL_ADDRESS, BENCH_TASK_QUEUE and BENCH_WORKFLOW_BUNDLE');
  // The Runtime's default shutdown signals (SIGINT, SIGTERM) stop the worker, so the benchmark ends it with SIGTERM.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: { codePath } });
    await worker.run();
  } finally {
    await connection.close();
  }
}

const out = process.env.BENCH_BUNDLE_OUT;
(out ? bundle(out) : run()).catch((err: unknown) => {
  process.stderr.write(`bare-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
