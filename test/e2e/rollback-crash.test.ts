// A rollback outlives its worker: on the real dev server, a worker process is SIGKILLed at three
// points of a canary's automatic rollback (as it starts, while the canary's pods are being removed,
// and near its end), and a new worker completes it. The undo steps heartbeat every 2 s against a
// 10 s timeout and nothing in a rollback waits for a notification, so the rollback completes within
// 30 s of the new worker starting, instead of after a deploy's one-minute heartbeat timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import type { ReleaseStatus } from '../../src/shared/release';
import { statusQuery } from '../../src/shared/messages';
import { releaseWorkflowId } from '../../src/shared/identifiers';
import { eventually } from '../helpers/eventually';
import { cliProcess, installationEnv, startWorkerProcess } from '../helpers/worker-process';

/** Each service's rollout step in the simulation: removing the three canaries takes 6 s. */
const STEP = '2s';
let env: TestWorkflowEnvironment;
let dir: string;
const workers: ChildProcess[] = [];

before(async () => {
  env = await createDevEnv();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-rollback-crash-'));
  writeFileSync(
    join(dir, 'release-promote.yaml'),
    [
      'temporal: { taskQueue: e2e-rollback-crash }',
      "roles: { RELEASE_APPROVER: ['@alice'] }",
      'stages:',
      '  staging: { soak: 2s, healthCheckInterval: 1s, maxTotalSoak: 1m }',
      '  canary: { minDuration: 1m, analysisInterval: 1s }',
      // The error rate rises at scenario minute 12: 12 s into the canary at 60 scenario minutes a minute.
      `simulation: { scenario: error-rate-regression, timeScale: 60, rolloutStep: ${STEP}, stateDir: ${join(dir, 'simulated')} }`,
      `records: { auditDir: ${join(dir, 'audit')}, evidenceDir: ${join(dir, 'evidence')}, sotDir: ${join(dir, 'sot')} }`,
    ].join('\n'),
  );
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function processEnv(): NodeJS.ProcessEnv {
  return installationEnv(env.address, join(dir, 'release-promote.yaml'));
}

function cli(...args: string[]) {
  return cliProcess({ cwd: dir, env: processEnv() }, ...args);
}

async function startWorker(): Promise<ChildProcess> {
  const worker = await startWorkerProcess({ cwd: dir, env: processEnv() });
  workers.push(worker);
  return worker;
}

/** Read through the client (not the CLI) so a stage is seen within a poll of its start. */
function status(version: string): Promise<ReleaseStatus> {
  return env.client.workflow.getHandle(releaseWorkflowId(version)).query(statusQuery);
}

async function kill(worker: ChildProcess): Promise<void> {
  worker.kill('SIGKILL');
  if (worker.exitCode === null) await new Promise((resolve) => worker.once('exit', resolve));
}

for (const [i, offsetMs, when] of [
  [0, 0, 'as it starts'],
  [1, 2_500, 'while the canary pods are being removed'],
  [2, 5_000, 'near its end'],
] as const) {
  test(`a worker killed ${when} (${offsetMs / 1000} s into ROLLING_BACK): a new worker completes the rollback within 30 s`, async (t) => {
    const version = `v8.0.${i}`;
    const first = await startWorker();
    const started = cli('start', version, '--commit', 'abc1234def', '--requested-by', '@dev');
    assert.equal(started.status, 0, started.stderr);
    await eventually(`${version} to soak`, async () => (await status(version)).stage === 'STAGING_SOAK', {
      timeoutMs: 60_000,
    });
    assert.equal(cli('request-canary', version, '--requested-by', '@dev').status, 0);
    assert.equal(cli('approve', version, '--approver=@alice').status, 0);
    await eventually(`${version} to roll back`, async () => (await status(version)).stage === 'ROLLING_BACK', {
      timeoutMs: 90_000,
      intervalMs: 50,
    });
    await new Promise((r) => setTimeout(r, offsetMs));
    await kill(first);
    const second = await startWorker();
    const restartedAt = Date.now();
    const done = await eventually(
      `${version} to end`,
      async () => {
        const s = await status(version);
        return s.outcome === null ? undefined : s;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const endedAt = Date.parse(done.history.at(-1)!.at);
    assert.equal(done.outcome, 'ROLLED_BACK', done.outcomeReason ?? '');
    t.diagnostic(`rolled back ${((endedAt - restartedAt) / 1000).toFixed(1)} s after the new worker started`);
    assert.ok(
      endedAt - restartedAt <= 30_000,
      `rolled back ${((endedAt - restartedAt) / 1000).toFixed(1)} s after the new worker started`,
    );
    assert.deepEqual(
      done.rollback?.steps.map((s) => [s.step, s.ok]),
      [
        ['send no requests to the canary', true],
        ['remove the canary', true],
        ['confirm the stable version still serves', true],
      ],
    );
    await kill(second);
  });
}
