// Bundles the workflow code once at build time (`npm run build`, after tsc), so a worker running
// from dist/ loads dist/workflow-bundle.js instead of running webpack on every start (see
// src/worker/create-worker.ts, PREBUILT_BUNDLE). The bundle is made from the TypeScript sources:
// the same code the replay test and the source-run worker use.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = join(__dirname, '..');
const output = join(root, 'dist', 'workflow-bundle.js');

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    // Webpack's progress and warnings are noise in a build log; errors still throw.
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => process.stderr.write(`workflow bundle: ${message}\n`),
      error: (message: string) => process.stderr.write(`workflow bundle: ${message}\n`),
    },
  });
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, code);
  const kib = Math.round(statSync(output).size / 1024);
  process.stdout.write(
    `wrote ${relative(process.cwd(), output) || output} (${kib} KiB) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`build-workflow-bundle: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
