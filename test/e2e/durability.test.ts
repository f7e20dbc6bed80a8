// End to end on the real dev server: worker processes plus the CLI drive a release to production.
// The first worker is killed (SIGKILL) during the staging soak; a new worker finishes the release.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import type { ReleaseStatus } from '../../src/shared/release';
import { cliProcess, installationEnv, startWorkerProcess } from '../helpers/worker-process';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');
let env: TestWorkflowEnvironment;
let dir: string;
const workers: ChildProcess[] = [];

before(async () => {
  env = await createDevEnv();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-e2e-'));
  writeFileSync(
    join(dir, 'release-promote.yaml'),
    [
      'temporal: { taskQueue: e2e-durability }',
      "roles: { RELEASE_APPROVER: ['@alice', '@bob'] }",
      'stages:',
      '  staging: { soak: 12s, healthCheckInterval: 1s, maxTotalSoak: 2m }',
      '  canary: { minDuration: 4s, analysisInterval: 1s }',
      `simulation: { scenario: healthy, stateDir: ${join(dir, 'simulated')} }`,
      `records: { auditDir: ${join(dir, 'audit')}, evidenceDir: ${join(dir, 'evidence')}, sotDir: ${join(dir, 'sot')} }`,
    ].join('\n'),
  );
});

after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function processEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...installationEnv(env.address, join(dir, 'release-promote.yaml')), ...extra };
}

function cli(...args: string[]) {
  return cliProcess({ cwd: dir, env: processEnv() }, ...args);
}

async function startWorker(): Promise<ChildProcess> {
  const worker = await startWorkerProcess({ cwd: dir, env: processEnv() });
  workers.push(worker);
  return worker;
}

function status(version: string): ReleaseStatus {
  const run = cli('status', version, '--json');
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ReleaseStatus;
}

test('bad input gets one line and exit 2, and starts nothing', () => {
  for (const args of [
    ['start', '1.2.3', '--commit', 'abc1234'],
    ['start', 'v1.2.3', '--commit', 'not-a-sha'],
    ['approve', 'v1.2.3', '--approver=alice'],
    ['verify', 'Prod'],
    ['rollback', 'prod/x'],
    // Usage errors commander finds: a required option missing, an unknown option or command.
    ['approve', 'v1.2.3'],
    ['reject', 'v1.2.3', '--approver=@alice'],
    ['status', 'v1.2.3', '--frob'],
    ['frobnicate'],
  ]) {
    const run = cli(...args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /^release-promote: /);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.match(cli('list').stdout, /no releases found/);
});

test('with no worker running, what needs one says so within the wait (exit 1) and leaves nothing waiting', async () => {
  const run = spawnSync(process.execPath, [BIN, 'verify', 'production'], {
    cwd: dir,
    env: processEnv({ RELEASE_PROMOTE_WORKER_WAIT: '2' }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 1, run.stderr);
  assert.equal(
    run.stderr,
    'release-promote: no worker answered within 2s (verification of production): is a worker running on task queue "e2e-durability"? Start one with "release-promote worker"\n',
  );
  const verifications = [];
  for await (const wf of env.client.workflow.list({ query: 'WorkflowType = "environmentVerification"' }))
    verifications.push(wf.status.name);
  assert.deepEqual(verifications, ['TERMINATED'], 'the verification nobody ran is not left waiting');
});

test('a release survives its worker being killed during the soak and reaches production', async () => {
  const first = await startWorker();
  const started = cli('start', 'v7.0.0', '--commit', 'abc1234def', '--requested-by', '@dev', '--ci-run-id', '777');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /started release-v7\.0\.0/);

  let s = status('v7.0.0');
  for (let i = 0; i < 200 && !(s.stage === 'STAGING_SOAK' && s.soak.checks >= 2); i++) {
    await new Promise((r) => setTimeout(r, 100));
    s = status('v7.0.0');
  }
  assert.equal(s.stage, 'STAGING_SOAK');
  assert.match(cli('request-canary', 'v7.0.0', '--requested-by', '@dev').stdout, /approval requested/);
  assert.match(cli('approve', 'v7.0.0', '--approver=@alice').stdout, /approved/);

  assert.equal(status('v7.0.0').stage, 'STAGING_SOAK');
  const killedAt = Date.now();
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  await startWorker();

  const watched = cli('watch', 'v7.0.0');
  assert.equal(watched.status, 0, `${watched.stdout}\n${watched.stderr}`);
  assert.match(watched.stdout, /PRODUCTION_ROLLOUT → PROMOTED/);

  const done = status('v7.0.0');
  assert.equal(done.outcome, 'PROMOTED');
  assert.ok(Date.parse(done.soak.completedAt ?? '') > killedAt, 'the soak, a durable timer, completed after the crash');
  assert.equal(done.soak.restarts, 0, 'the crash did not restart the soak');
  assert.equal(done.approval.approvals[0]?.approver, '@alice');

  const verify = cli('verify', 'production');
  assert.equal(verify.status, 0, verify.stderr);
  assert.deepEqual(verify.stdout.trim().split('\n'), [
    '✓ api-gateway: v7.0.0 (healthy)',
    '✓ orchestrator: v7.0.0 (healthy)',
    '✓ workers: v7.0.0 (healthy)',
  ]);
  assert.match(cli('list').stdout, /v7\.0\.0\s+standard\s+PROMOTED/);
  assert.match(cli('sot', 'production').stdout, /production: v7\.0\.0 \(promote by @dev/);
  const audit = cli('audit', 'v7.0.0')
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { action: string });
  assert.equal(audit[0]?.action, 'start');
  assert.equal(audit.at(-1)?.action, 'finish');
});
