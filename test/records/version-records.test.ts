// The version records (SoT): concurrent recordVersion updates to one environment ledger lose nothing
// (real dev server, the production activity code path: update-with-start), an export never replaces a
// newer revision, and a writer that dies mid-write leaves the previous valid file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { activityDeps } from '../../src/activities/deps';
import { exportVersionRecords, versionRecordsPath } from '../../src/records/version-records';
import {
  environmentRecordsQuery,
  recordVersionUpdate,
  type EnvironmentRecords,
  type VersionRecord,
} from '../../src/shared/ledger';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import { createDevEnv } from '../helpers/temporal-env';
import { createHarness, type Harness } from '../helpers/release-harness';
import { EnvironmentLedger, startOperation } from '../../src/workflow-api';

const VERSION_RECORDS_MODULE = join(__dirname, '..', '..', 'src', 'records', 'version-records.ts');

function records(revision: number, current: string, previous: string[] = []): EnvironmentRecords {
  const record = (version: string): VersionRecord => ({
    version,
    promotedBy: '@username',
    promotedAt: '2025-10-05T12:00:00.000Z',
    action: 'promote',
    workflowId: `release-${version}`,
  });
  return {
    environment: 'production',
    revision,
    current: record(current),
    previous: previous.map(record),
    lease: null,
    queue: [],
  };
}

/** The exported file, which must always be complete JSON. */
function exported(sotDir: string): EnvironmentRecords {
  return JSON.parse(readFileSync(versionRecordsPath(sotDir, 'production'), 'utf8')) as EnvironmentRecords;
}

/** Runs an activity as the worker would: with an activity context, and the record profile's timeout. */
function asActivity<R>(call: () => Promise<R>): Promise<R> {
  return new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }).run(call);
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-promote-sot-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('the environment ledger under concurrent updates (dev server)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  before(async () => {
    // 20 concurrent updates exceed the server's 10 in-flight updates per workflow: it answers
    // RESOURCE_EXHAUSTED and the client retries, which the server logs as errors. Keep its log quiet.
    env = await createDevEnv({ log: { format: 'pretty', level: 'never' } });
    h = await createHarness(env);
  });
  after(async () => {
    await h?.cleanup();
    await env?.teardown();
  });

  test('concurrent recordVersion updates to one ledger lose nothing', async () => {
    await h.worker.runUntil(async () => {
      const taskQueue = h.config.temporal.taskQueue;
      const ledgerId = environmentWorkflowId('production', taskQueue);
      // The activity a release runs at the end of its production rollout (update-with-start on the ledger).
      const activities = createActivities(activityDeps(h.config, h.client));
      const PROMOTIONS = 16;
      const MANUAL = 4;
      const at = (i: number) => new Date(Date.UTC(2025, 9, 5, 12, i)).toISOString();
      const promoted = Array.from({ length: PROMOTIONS }, (_, i) => `v2.${i}.0`);
      const manual = Array.from({ length: MANUAL }, (_, i) => `v3.${i}.0`);

      // Nobody has started the ledger yet: every call races to start it, and to update it.
      const answers = await Promise.all([
        ...promoted.map((version, i) =>
          asActivity(() =>
            activities.recordVersion({
              environment: 'production',
              record: {
                version,
                promotedBy: '@ci',
                promotedAt: at(i),
                action: 'promote',
                workflowId: `release-${version}`,
              },
            }),
          ),
        ),
        // Versions recorded by hand (the ledger update the manualVersionRecord workflow sends), at the same time.
        ...manual.map((version, i) =>
          h.client.workflow.executeUpdateWithStart(recordVersionUpdate, {
            args: [
              { version, promotedBy: '@username', promotedAt: at(PROMOTIONS + i), action: 'manual', workflowId: null },
            ],
            startWorkflowOperation: startOperation(EnvironmentLedger, {
              workflowId: ledgerId,
              taskQueue,
              args: [{ environment: 'production' }],
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          }),
        ),
      ]);
      const total = PROMOTIONS + MANUAL;
      // Every caller gets its own write back as the current version, even while others update.
      [...promoted, ...manual].forEach((version, i) =>
        assert.equal(answers[i]!.current?.version, version, `the answer to the update of ${version}`),
      );

      const ledger = h.client.workflow.getHandle(ledgerId);
      const state = await ledger.query(environmentRecordsQuery);
      assert.equal(state.revision, total, 'revision = number of updates');
      assert.equal(state.previous.length, total - 1, 'every replaced version is kept');
      const all = [state.current!, ...state.previous].map((r) => r.version).sort();
      assert.deepEqual(all, [...promoted, ...manual].sort(), 'no version lost, none twice');
      // previous is newest first; promotedAt was chosen per update, so the list is a permutation of them.
      assert.equal(new Set([state.current!, ...state.previous].map((r) => r.promotedAt)).size, total);

      // A retried activity (its first attempt's answer was lost) does not record the current version twice.
      const last = state.current!;
      const again = await asActivity(() => activities.recordVersion({ environment: 'production', record: last }));
      if (last.workflowId !== null)
        assert.equal(again.revision, total, 'the retry of the current record is not a new revision');

      // One ledger run took every update (no second run with a partial state).
      const history = await ledger.fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      assert.ok(started);
      assert.equal(started.continuedExecutionRunId ?? '', '', 'the first run of the ledger');
      assert.equal((await ledger.describe()).status.name, 'RUNNING');

      // The export holds the newest revision, complete.
      const file = exported(h.config.records.sotDir);
      const finalState = await ledger.query(environmentRecordsQuery);
      assert.equal(file.revision, finalState.revision);
      assert.deepEqual(file.current, finalState.current);
      assert.deepEqual(file.previous, finalState.previous);

      // A ledger run that ends (terminated, reset) does not take the versions with it: the next one
      // starts from the export.
      await ledger.terminate('simulating a lost ledger run');
      const afterRestart = await asActivity(() =>
        activities.recordVersion({
          environment: 'production',
          record: {
            version: 'v4.0.0',
            promotedBy: '@ci',
            promotedAt: at(total + 1),
            action: 'promote',
            workflowId: 'release-v4.0.0',
          },
        }),
      );
      assert.equal(afterRestart.revision, finalState.revision + 1);
      assert.deepEqual(afterRestart.previous[0], finalState.current);
      assert.equal(afterRestart.previous.length, finalState.previous.length + 1);
      assert.equal(exported(h.config.records.sotDir).current?.version, 'v4.0.0', 'the export follows');
    });
  });
});

test(
  'an export never replaces a newer revision',
  withDir(async (dir) => {
    assert.equal(await exportVersionRecords(dir, records(5, 'v1.2.3', ['v1.2.2'])), true);
    assert.equal(await exportVersionRecords(dir, records(3, 'v1.2.1')), false, 'an older revision is refused');
    assert.equal(await exportVersionRecords(dir, records(5, 'v9.9.9')), false, 'the same revision is not rewritten');
    assert.equal(exported(dir).revision, 5);
    assert.equal(exported(dir).current?.version, 'v1.2.3');
    assert.equal(await exportVersionRecords(dir, records(6, 'v1.2.4', ['v1.2.3', 'v1.2.2'])), true);
    assert.deepEqual(exported(dir), {
      environment: 'production',
      revision: 6,
      current: records(6, 'v1.2.4').current,
      previous: records(6, 'v1.2.4', ['v1.2.3', 'v1.2.2']).previous,
    });
    assert.equal('lease' in exported(dir), false, 'the export holds the version records only');
  }),
);

test(
  'concurrent exports in any order leave the newest revision',
  withDir(async (dir) => {
    const revisions = Array.from({ length: 30 }, (_, i) => i + 1);
    // A fixed shuffle: the newest is neither first nor last.
    const order = revisions
      .map((r) => ({ r, k: (r * 7919) % 31 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.r);
    const written = await Promise.all(order.map((r) => exportVersionRecords(dir, records(r, `v1.${r}.0`))));
    assert.ok(written.some(Boolean));
    assert.equal(exported(dir).revision, 30);
    assert.equal(exported(dir).current?.version, 'v1.30.0');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock')),
      [],
      'no temporary or lock file left',
    );
  }),
);

test(
  'a temporary file left by a crashed writer does not replace the previous valid file',
  withDir(async (dir) => {
    await exportVersionRecords(dir, records(1, 'v1.2.2'));
    // What a writer killed after creating its temporary file leaves behind: half of a newer export.
    const half = JSON.stringify(records(2, 'v1.2.3', ['v1.2.2']), null, 2);
    writeFileSync(
      join(dir, '.production.json.0b5e1c7a-dead-4bad-8bad-000000000000.tmp'),
      half.slice(0, half.length / 2),
    );
    assert.equal(exported(dir).revision, 1, 'readers still see the previous complete file');
    assert.equal(await exportVersionRecords(dir, records(2, 'v1.2.3', ['v1.2.2'])), true, 'the next export works');
    assert.equal(exported(dir).current?.version, 'v1.2.3');
  }),
);

test(
  'a writer killed during its write leaves the previous valid file',
  withDir(async (dir) => {
    await exportVersionRecords(dir, records(1, 'v1.2.2'));
    const before = readFileSync(versionRecordsPath(dir, 'production'), 'utf8');
    const script = join(dir, 'export-child.ts');
    // A large export (~60 MB), so the kill lands while the temporary file is being written.
    writeFileSync(
      script,
      [
        `import { exportVersionRecords } from ${JSON.stringify(VERSION_RECORDS_MODULE)};`,
        'const previous = Array.from({ length: 250_000 }, (_, i) => ({ version: `v0.0.${i}`, promotedBy: "@username", promotedAt: "2025-10-05T12:00:00.000Z", action: "promote" as const, workflowId: `release-v0.0.${i}-${"x".repeat(80)}` }));',
        "void exportVersionRecords(process.argv[2]!, { environment: 'production', revision: 2, current: previous[0]!, previous, lease: null, queue: [] });",
      ].join('\n'),
    );
    const sotDir = dir;
    let partialSize = -1;
    let tries = 0;
    // The kill must land mid-write; if it lands after the rename the file must be the complete new one,
    // and we try again (from revision 1) until a kill lands mid-write.
    while (partialSize < 0 && tries < 5) {
      tries++;
      writeFileSync(versionRecordsPath(dir, 'production'), before);
      const child = spawn(process.execPath, ['--import', 'tsx', script, sotDir], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      let killed = false;
      while (!killed && Date.now() < deadline) {
        const tmp = readdirSync(dir).find((f) => f.startsWith('.production.json.') && f.endsWith('.tmp'));
        const size = tmp ? (statSync(join(dir, tmp), { throwIfNoEntry: false })?.size ?? 0) : 0;
        if (size > 0) {
          child.kill('SIGKILL');
          killed = true;
          await exited;
          const left = readdirSync(dir).find((f) => f.startsWith('.production.json.') && f.endsWith('.tmp'));
          const final = left ? statSync(join(dir, left)).size : 0;
          if (left) partialSize = final;
        } else if (child.exitCode !== null) {
          break;
        } else {
          await new Promise((r) => setImmediate(r)); // poll fast, but let the child's exit be seen
        }
      }
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
      // Whatever the timing, readers see a complete file: the previous one or the complete new one.
      const now = exported(dir);
      assert.ok(
        now.revision === 1 || (now.revision === 2 && now.previous.length === 250_000),
        `revision ${now.revision}`,
      );
      if (partialSize >= 0)
        assert.equal(
          readFileSync(versionRecordsPath(dir, 'production'), 'utf8'),
          before,
          'the previous file, byte for byte',
        );
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.tmp'))) rmSync(join(dir, f));
      // The killed writer's lock stays until it is stale (30 s); age it instead of waiting.
      const lock = `${versionRecordsPath(dir, 'production')}.lock`;
      if (existsSync(lock)) utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }
    assert.ok(partialSize >= 0, `a kill landed mid-write within ${tries} tries`);
    assert.equal(exported(dir).revision, 1);
    // The next writer takes over the dead writer's stale lock and exports normally.
    assert.equal(await exportVersionRecords(dir, records(3, 'v1.2.4', ['v1.2.2'])), true);
    assert.equal(exported(dir).revision, 3);
  }),
);
