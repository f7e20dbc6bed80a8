// Records in PostgreSQL, end to end: two worker processes in two directories share one real
// PostgreSQL and a dev server and run ten releases. The audit trail holds exactly the entries the
// workflow histories asked for (no loss, no duplicate), evidence and version records are complete,
// and a third directory (a second checkout with no access to the workers' disks) collects the
// evidence and verifies the trail. Then the database is killed (SIGKILL) during a canary: the
// release waits, `status` and /readyz say why, and after the restart it completes with nothing lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { runCliInProcess } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/processes';
import { PostgresRecordsStore } from '../../src/records/postgres/store';
import { renderEvidence, EVIDENCE_FILE_NAMES } from '../../src/records/evidence';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');
const TASK_QUEUE = 'e2e-postgres-records';
const VERSIONS = Array.from({ length: 10 }, (_, i) => `v10.0.${i + 1}`);
let env: TestWorkflowEnvironment;
let pg: PostgresServer;
let root: string;
let store: PostgresRecordsStore;
const dirs = { a: '', b: '', c: '' };
const workers: Array<{ process: ChildProcess; output: () => string; healthPort: number }> = [];

before(async () => {
  [env, pg] = await Promise.all([createDevEnv(), startPostgres()]);
  root = mkdtempSync(join(tmpdir(), 'release-promote-pg-e2e-'));
  const url = pg.url.replace(/:[^:@/]+@/, '@');
  for (const name of ['a', 'b', 'c'] as const) {
    dirs[name] = join(root, name);
    mkdirSync(dirs[name]);
    writeFileSync(
      join(dirs[name], 'release-promote.yaml'),
      [
        `temporal: { taskQueue: ${TASK_QUEUE} }`,
        "roles: { RELEASE_APPROVER: ['@alice', '@bob'] }",
        'stages:',
        '  staging: { soak: 2s, healthCheckInterval: 1s, maxTotalSoak: 2m }',
        '  canary: { minDuration: 3s, analysisInterval: 1s }',
        // The simulated cluster is shared (it is the cluster); the records are in PostgreSQL only.
        `simulation: { scenario: healthy, stateDir: ${join(root, 'cluster')} }`,
        'records:',
        '  store: postgres',
        `  postgres: { url: '${url}', passwordFile: '${pg.passwordFile}', tls: { mode: disable }, connectTimeout: 2s }`,
      ].join('\n'),
    );
  }
  store = new PostgresRecordsStore({
    url,
    passwordFile: pg.passwordFile,
    tls: { mode: 'disable' },
    poolSize: 2,
    connectTimeoutMs: 2_000,
    statementTimeoutMs: 5_000,
  });
});

after(async () => {
  for (const w of workers) w.process.kill('SIGKILL');
  await store?.close();
  await env?.teardown();
  await pg?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function cli(where: keyof typeof dirs, ...args: string[]) {
  const cwd = process.cwd();
  process.chdir(dirs[where]);
  return runCliInProcess(args, {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    RELEASE_PROMOTE_CONFIG: join(dirs[where], 'release-promote.yaml'),
  }).finally(() => process.chdir(cwd));
}

async function startWorker(where: 'a' | 'b'): Promise<void> {
  const healthPort = await freePort();
  const child = spawn(process.execPath, [BIN, 'worker'], {
    cwd: dirs[where],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      RELEASE_PROMOTE_CONFIG: join(dirs[where], 'release-promote.yaml'),
      RELEASE_PROMOTE_HEALTH_PORT: String(healthPort),
      RELEASE_PROMOTE_SDK_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  workers.push({ process: child, output: () => output, healthPort });
  await eventually(
    `worker ${where} to poll`,
    () => {
      if (child.exitCode !== null) assert.fail(`worker ${where} exited early: ${output}`);
      return /polling task queue/.test(output);
    },
    { timeoutMs: 90_000, intervalMs: 200, describe: () => output },
  );
}

async function status(version: string): Promise<ReleaseStatus> {
  return env.client.workflow.getHandle(`release-${version}`).query(statusQuery);
}

/**
 * The audit keys a release's history asked to write, in order. A release writes its entries in
 * batches (recordBatch): a local activity's marker records the count it was given ("k of n audit
 * entries added"), a regular activity's input the entries themselves; keys are <workflow>/<run>/<seq>.
 */
async function auditKeysInHistory(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const json = (p: { data?: Uint8Array | null } | undefined): unknown =>
    JSON.parse(Buffer.from(p?.data ?? []).toString('utf8'));
  const runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? '';
  let count = 0;
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity' && marker.details?.result?.payloads?.length) {
      const data = json(marker.details.data?.payloads?.[0]) as { activity_type?: string };
      if (data.activity_type !== 'recordBatch') continue;
      const result = json(marker.details.result.payloads[0]) as string;
      count += Number(/ of (\d+) audit entries/.exec(result)?.[1] ?? 0);
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'recordBatch')
      count += (json(scheduled.input?.payloads?.[0]) as { entries: unknown[] }).entries.length;
  }
  return Array.from({ length: count }, (_, i) => `${workflowId}/${runId}/${i + 1}`);
}

async function rowsOf(workflowId: string): Promise<string[]> {
  const rows = await pg.query<{ key: string }>('SELECT key FROM audit_entries WHERE workflow_id = $1 ORDER BY key', [
    workflowId,
  ]);
  return rows.map((r) => r.key);
}

test('a worker whose records schema is behind refuses to start, naming the command that fixes it', async () => {
  const behind = await cli('c', 'migrate', '--status');
  assert.equal(behind.code, 1);
  assert.match(
    behind.stdout,
    /^postgres 127\.0\.0\.1:\d+\/release_promote: schema version 0 of \d+ — run release-promote migrate\n$/,
  );
  const child = spawn(process.execPath, [BIN, 'worker'], {
    cwd: dirs.a,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      RELEASE_PROMOTE_CONFIG: join(dirs.a, 'release-promote.yaml'),
      RELEASE_PROMOTE_HEALTH_PORT: String(await freePort()),
      RELEASE_PROMOTE_SDK_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^release-promote: the records schema in postgres 127\.0\.0\.1:\d+\/release_promote is at version 0, this release-promote needs \d+: run `release-promote migrate` with the same config\n$/,
  );
});

test('migrate brings an empty database to the current schema; a second run has nothing to do', async () => {
  const first = await cli('c', 'migrate');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /schema 0 → \d+: applied 1 \(records\)/);
  const again = await cli('c', 'migrate');
  assert.match(again.stdout, /schema already at version \d+ \(current\)/);
});

test('two workers in two directories run ten releases: every record exactly once, none on their disks', async () => {
  await startWorker('a');
  await startWorker('b');
  for (const version of VERSIONS) {
    const run = await cli('c', 'start', version, '--commit', 'abc1234def', '--requested-by', '@dev');
    assert.equal(run.code, 0, run.stderr);
  }
  const approved = new Set<string>();
  await eventually(
    'all ten releases to be promoted',
    async () => {
      let promoted = 0;
      for (const version of VERSIONS) {
        const s = await status(version);
        if (s.stage === 'STAGING_SOAK' && !approved.has(version)) {
          const run = await cli('c', 'approve', version, '--approver=@alice');
          assert.equal(run.code, 0, run.stderr);
          approved.add(version);
        }
        if (s.outcome !== null && s.outcome !== 'PROMOTED')
          assert.fail(`${version} ended ${s.outcome}: ${s.outcomeReason}`);
        if (s.outcome === 'PROMOTED') promoted++;
      }
      return promoted === VERSIONS.length;
    },
    { timeoutMs: 240_000, intervalMs: 500 },
  );

  for (const version of VERSIONS) {
    const workflowId = `release-${version}`;
    const asked = await auditKeysInHistory(workflowId);
    assert.ok(asked.length >= 10, `${version}: its history asked for its audit entries (${asked.length})`);
    assert.equal(new Set(asked).size, asked.length, `${version}: each key asked once`);
    assert.deepEqual(
      await rowsOf(workflowId),
      [...asked].sort(),
      `${version}: the rows are exactly the keys asked for`,
    );
    const evidence = await store.evidence(version);
    const s = await status(version);
    assert.equal(evidence?.runId, s.runId, `${version}: evidence of its run is kept`);
    assert.deepEqual(
      evidence?.files,
      renderEvidence(s, await store.auditEntries(version)),
      `${version}: the kept evidence is the finished release's`,
    );
  }
  const production = JSON.parse((await cli('c', 'sot', 'production', '--json')).stdout) as Array<{
    revision: number;
    current: { version: string };
  }>;
  const kept = await store.versionRecords('production');
  assert.equal(kept?.revision, production[0]?.revision, 'the latest version records are kept');
  assert.equal(kept?.current?.version, production[0]?.current.version);
  assert.ok(
    workers.every((w) => / → /.test(w.output())),
    'both workers ran release work',
  );
  for (const where of ['a', 'b'] as const)
    for (const path of ['operational_audit', 'TEST'])
      assert.equal(existsSync(join(dirs[where], path)), false, `worker ${where} wrote nothing to ${path} on its disk`);
});

test('a third directory collects the evidence, verifies the trail and lists the history from the store alone', async () => {
  const version = VERSIONS[2] ?? '';
  const collected = await cli('c', 'collect-evidence', version);
  assert.equal(collected.code, 0, collected.stderr);
  assert.match(collected.stderr, /^from postgres 127\.0\.0\.1:\d+\/release_promote: run /);
  const s = await status(version);
  const expected = renderEvidence(s, await store.auditEntries(version));
  for (const name of EVIDENCE_FILE_NAMES)
    assert.equal(
      readFileSync(join(dirs.c, 'TEST', 'release', version, name), 'utf8'),
      expected[name],
      `${name} is the release's own`,
    );

  const verified = await cli('c', 'audit', 'verify');
  assert.equal(verified.code, 0, verified.stdout);
  assert.equal(verified.stdout.trim().split('\n').length, VERSIONS.length);
  assert.ok(
    verified.stdout
      .trim()
      .split('\n')
      .every((l) => /^ok {6}v10\.0\.\d+: \d+ entries, chain intact$/.test(l)),
  );

  const history = await cli('c', 'history', '--environment', 'production', '--json');
  assert.equal(history.code, 0, history.stderr);
  const parsed = JSON.parse(history.stdout) as {
    events: Array<{ kind: string; version: string; by: string }>;
    dora: { deployments: number };
  };
  assert.deepEqual(
    parsed.events.map((e) => [e.kind, e.version, e.by]).sort(),
    VERSIONS.map((v) => ['promoted', v, '@alice']).sort(),
  );
  assert.equal(parsed.dora.deployments, VERSIONS.length);
});

test('the database killed during a canary: the release waits and says so, then completes with nothing lost or doubled', async () => {
  const version = 'v11.0.0';
  const workflowId = `release-${version}`;
  assert.equal((await cli('c', 'start', version, '--commit', 'abc1234def', '--requested-by', '@dev')).code, 0);
  await eventually('the soak', async () => (await status(version)).stage === 'STAGING_SOAK', { timeoutMs: 60_000 });
  assert.equal((await cli('c', 'approve', version, '--approver=@alice')).code, 0);
  await eventually('the canary', async () => (await status(version)).stage === 'CANARY', { timeoutMs: 60_000 });

  await pg.kill();
  const killedAt = Date.now();
  let said = '';
  await eventually(
    'status to say the release waits for a record',
    async () => {
      const run = await cli('c', 'status', version);
      said = run.stdout;
      return /^retrying +(writing audit records and evidence|writing an audit record|keeping the evidence) .*records store postgres .* unreachable/m.test(
        said,
      );
    },
    { timeoutMs: 60_000, intervalMs: 1_000, describe: () => said },
  );
  const waiting = await status(version);
  assert.equal(waiting.outcome, null, 'the release has not ended');
  const ready = await fetch(`http://127.0.0.1:${workers[0]?.healthPort}/readyz`).catch((err: Error) =>
    assert.fail(`worker a does not answer (${err.message}); its output:\n${workers[0]?.output().slice(-3000)}`),
  );
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /^RUNNING\nrecords: records store postgres .* unreachable while checking the store/);
  // Held for a while: the release must not run ahead of its records.
  await new Promise((r) => setTimeout(r, 4_000));
  assert.notEqual((await status(version)).stage, 'PROMOTED');

  await pg.restart();
  const restartedAfter = Date.now() - killedAt;
  await eventually('the release to be promoted', async () => (await status(version)).outcome === 'PROMOTED', {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  const asked = await auditKeysInHistory(workflowId);
  assert.deepEqual(await rowsOf(workflowId), [...asked].sort(), 'every entry asked for, once');
  const verified = await cli('c', 'audit', 'verify', version);
  assert.equal(verified.code, 0, verified.stdout);
  assert.ok(restartedAfter > 4_000);
  const readyAgain = await eventually(
    'readiness back',
    async () => (await fetch(`http://127.0.0.1:${workers[0]?.healthPort}/readyz`)).status === 200,
    { timeoutMs: 15_000, intervalMs: 500 },
  );
  assert.ok(readyAgain);
});
