// The CLI and the worker as installed: both run the compiled dist/ (`node bin/release-promote.mjs`,
// never tsx), against a real Temporal dev server. The worker (the `worker` command, over the
// simulated target) takes the prebuilt workflow bundle (no bundling at start); the CLI starts a
// release and `status` reads it, loading the Temporal client and none of the worker SDK,
// Kubernetes, tracing, node-postgres, the metrics library or the HTTP client. Each process's loaded
// modules are recorded (test/helpers/loaded-modules.mjs) and say it ran dist/.
// Run: node --import tsx --test test/e2e/compiled-cli.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/processes';
import { assertRanDist, ensureDistBuilt, HEAVY_PACKAGES, loadedOf, runBin, startBin } from '../helpers/dist-cli';

let env: TestWorkflowEnvironment;
let dir: string;
let childEnv: NodeJS.ProcessEnv;
let worker: ReturnType<typeof startBin> | undefined;
let healthPort: number;

before(async () => {
  ensureDistBuilt();
  env = await createDevEnv();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-compiled-'));
  const configFile = join(dir, 'release-promote.yaml');
  writeFileSync(
    configFile,
    stringify({
      temporal: { taskQueue: `compiled-cli-${Date.now()}` },
      roles: { RELEASE_APPROVER: ['@alice'] },
      simulation: { scenario: 'healthy', stateDir: join(dir, 'simulated') },
      records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
    }),
  );
  healthPort = await freePort();
  childEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|RELEASE_PROMOTE_|OTEL_)/.test(key)),
  );
  Object.assign(childEnv, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_CONFIG_FILE: join(dir, 'no-temporal-profile.toml'),
    RELEASE_PROMOTE_CONFIG: configFile,
    RELEASE_PROMOTE_USER: '@ci-bot',
    RELEASE_PROMOTE_HEALTH_PORT: String(healthPort),
    RELEASE_PROMOTE_SDK_METRICS_PORT: String(await freePort()),
    RELEASE_PROMOTE_SHUTDOWN_GRACE: '2s',
  });
});

after(async () => {
  await worker?.stop();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the worker and the CLI run from dist/: start a release, then status reads it', async () => {
  worker = startBin(['worker'], { cwd: dir, env: childEnv });
  await eventually(
    'the worker is ready',
    async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200,
    { timeoutMs: 40_000, intervalMs: 100, describe: () => worker!.output().slice(-4000) },
  );

  const started = await runBin(['start', 'v1.2.3', '--commit', 'a1b2c3d4e5f6'], { cwd: dir, env: childEnv });
  assert.equal(started.code, 0, `start: ${started.stderr}\n${worker.output().slice(-4000)}`);
  assert.match(started.stdout, /^started release-v1\.2\.3 /);
  assertRanDist(started.loaded);

  // Right after the start the release may still be reading its policy: status says so, and answers after.
  let last = '';
  const status = await eventually(
    'status answers',
    async () => {
      const run = await runBin(['status', 'v1.2.3'], { cwd: dir, env: childEnv });
      last = run.stderr;
      return run.code === 0 ? run : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, describe: () => `status: ${last}\n${worker!.output().slice(-4000)}` },
  );
  assert.match(status.stdout, /^release {2,}v1\.2\.3 \(standard\) — release-v1\.2\.3$/m);
  assert.match(status.stdout, /^stage {2,}[A-Z_]+$/m);
  assert.match(status.stdout, /^commit {2,}a1b2c3d4e5f6 {3}requested by @ci-bot$/m);
  assertRanDist(status.loaded);
  assert.deepEqual(loadedOf(status.loaded, [...HEAVY_PACKAGES, 'zod', 'yaml']), [], 'status loads only the client');

  const running = worker;
  worker = undefined;
  const stopped = await running.stop();
  const workerOutput = running.output();
  assert.equal(stopped.code, 0, 'the worker stops cleanly on SIGTERM');
  assertRanDist(stopped.loaded, join('dist', 'worker', 'main.js'));
  assert.ok(stopped.loaded.packages.has('@temporalio/worker'));
  // The SDK loads webpack either way: bundling at start is told by the SDK's log line.
  assert.doesNotMatch(workerOutput, /Workflow bundle created/, 'the worker took the prebuilt workflow bundle');
});
