// An upgrade under running releases, on the real dev server with worker processes: three releases
// sleep in different places (one in its canary window, one awaiting approval after its soak, one
// queued for staging) when the worker is stopped; a worker running changed workflow code (a
// patched() step before the production rollout) takes over, and every release completes on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { createDevEnv } from '../helpers/temporal-env';
import { eventually } from '../helpers/eventually';
import type { ReleaseStage, ReleaseStatus } from '../../src/shared/release';
import { cliProcess, installationEnv, startWorkerProcess } from '../helpers/worker-process';

const ROOT = join(__dirname, '..', '..');
const UPGRADE_PATCH = 'upgrade-test-step';
let env: TestWorkflowEnvironment;
let dir: string;
let upgraded: string;
const workers: ChildProcess[] = [];

before(async () => {
  env = await createDevEnv();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-upgrade-'));
  writeFileSync(
    join(dir, 'release-promote.yaml'),
    [
      'temporal: { taskQueue: e2e-upgrade }',
      "roles: { RELEASE_APPROVER: ['@alice', '@bob'] }",
      'stages:',
      '  staging: { soak: 3s, healthCheckInterval: 1s, maxTotalSoak: 2m }',
      '  canary: { minDuration: 25s, analysisInterval: 1s }',
      `simulation: { scenario: healthy, stateDir: ${join(dir, 'simulated')} }`,
      `records: { auditDir: ${join(dir, 'audit')}, evidenceDir: ${join(dir, 'evidence')}, sotDir: ${join(dir, 'sot')} }`,
    ].join('\n'),
  );
  // The next version of the code: a copy of the sources with one patched() change, run from source.
  upgraded = join(dir, 'upgraded');
  mkdirSync(upgraded);
  for (const part of ['src', 'bin', 'package.json', 'tsconfig.json'])
    cpSync(join(ROOT, part), join(upgraded, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(upgraded, 'node_modules'), 'dir');
  const production = join(upgraded, 'src', 'workflows', 'release', 'production.ts');
  const code = readFileSync(production, 'utf8');
  const anchor = '  const s = ctx.status;\n  const production = ctx.policy.productionEnvironment;\n';
  assert.ok(code.includes(anchor), 'the upgrade test patches productionRollout');
  writeFileSync(
    production,
    code
      .replace(
        anchor,
        `${anchor}  if (patched('${UPGRADE_PATCH}')) await sleep(1, { summary: 'a step of the upgraded code' });\n`,
      )
      .replace(/^/, "import { patched, sleep } from '@temporalio/workflow';\n"),
  );
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

const processEnv = () => installationEnv(env.address, join(dir, 'release-promote.yaml'));
const cli = (...args: string[]) => cliProcess({ cwd: dir, env: processEnv() }, ...args);

function status(version: string): ReleaseStatus {
  const run = cli('status', version, '--json');
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ReleaseStatus;
}

async function waitFor(version: string, ...stages: ReleaseStage[]): Promise<void> {
  let last = '';
  await eventually(
    `${version} to reach ${stages.join(' or ')}`,
    () => {
      last = status(version).stage;
      return stages.includes(last as ReleaseStage);
    },
    { timeoutMs: 90_000, intervalMs: 500, describe: () => `it is in ${last}` },
  );
}

function approve(version: string): void {
  const run = cli('approve', version, '--approver=@alice');
  assert.equal(run.status, 0, run.stderr + run.stdout);
}

test('releases sleeping in the canary, awaiting approval and queued complete on a worker with changed code', async () => {
  const first = await startWorkerProcess({ cwd: dir, env: processEnv() });
  workers.push(first);
  for (const version of ['v7.0.0', 'v7.1.0', 'v7.2.0']) {
    const run = cli('start', version, '--commit', 'abc1234def', '--requested-by', '@dev');
    assert.equal(run.status, 0, run.stderr + run.stdout);
  }
  await waitFor('v7.0.0', 'STAGING_SOAK', 'AWAITING_APPROVAL');
  approve('v7.0.0');
  await waitFor('v7.0.0', 'CANARY');
  await waitFor('v7.1.0', 'AWAITING_APPROVAL');
  assert.equal(status('v7.0.0').stage, 'CANARY', 'v7.0.0 is still in its canary window');
  assert.equal(status('v7.2.0').stage, 'WAITING_FOR_ENVIRONMENT');

  // The upgrade: the running worker is told to stop (as a rolling deployment does), then the new one starts.
  first.kill('SIGTERM');
  await new Promise((resolve) => first.once('exit', resolve));
  const next = await startWorkerProcess({
    cwd: dir,
    env: processEnv(),
    bin: join(upgraded, 'bin', 'release-promote.mjs'),
  });
  workers.push(next);

  approve('v7.1.0');
  await waitFor('v7.2.0', 'STAGING_SOAK', 'AWAITING_APPROVAL');
  approve('v7.2.0');
  for (const version of ['v7.0.0', 'v7.1.0', 'v7.2.0']) {
    await waitFor(version, 'PROMOTED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED', 'CANCELLED');
    const s = status(version);
    assert.equal(s.stage, 'PROMOTED', `${version}: ${s.outcomeReason}`);
    // The upgraded code ran its new step (recorded with its patch marker), and nothing failed to replay.
    const events = (await env.client.workflow.getHandle(`release-${version}`).fetchHistory()).events ?? [];
    const patches = events.flatMap((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
    });
    assert.ok(patches.includes(UPGRADE_PATCH), `${version}: the upgraded code's marker, in ${patches.join(', ')}`);
    const failed = events.filter(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    );
    assert.deepEqual(
      failed.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message),
      [],
      `${version}: no workflow task failed`,
    );
  }
});
