// The postgres records store on a real PostgreSQL (Debian's, started by test/helpers/postgres.ts):
// migrations from empty and from every earlier version, exactly-once appends under retries and four
// concurrent processes, evidence kept per run and revision, version records keeping their revisions,
// one policy line between workers, an outage that fails writes in one line and heals on restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { runProcess } from '../helpers/processes';
import { PostgresRecordsStore } from '../../src/records/postgres/store';
import { migrate, migrationScript, schemaVersion } from '../../src/records/postgres/migrate';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/records/postgres/migrations';
import { RecordsSchemaBehind, RecordsStoreUnavailable } from '../../src/records/store';
import type { AuditEntry } from '../../src/shared/audit';
import type { EnvironmentRecords } from '../../src/shared/ledger';

const STORE_MODULE = join(__dirname, '..', '..', 'src', 'records', 'postgres', 'store.ts');
let pg: PostgresServer;
let dir: string;
let databases = 0;

before(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-pg-store-'));
});

after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function settings(url: string) {
  return {
    url: url.replace(/:[^:@/]+@/, '@'),
    passwordFile: pg.passwordFile,
    tls: { mode: 'disable' as const },
    poolSize: 4,
    connectTimeoutMs: 2_000,
    statementTimeoutMs: 5_000,
  };
}

/** A store on a fresh database, migrated to `version` (default the latest). */
async function freshStore(version = LATEST_SCHEMA_VERSION): Promise<{ store: PostgresRecordsStore; url: string }> {
  const url = await pg.createDatabase(`store_${++databases}`);
  const store = new PostgresRecordsStore(settings(url));
  await migrate(store.pool, version);
  return { store, url };
}

function entry(workflowId: string, seq: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    key: `${workflowId}/run-1/${seq}`,
    seq,
    version: 'v1.2.3',
    timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)).toISOString(),
    action: 'gate',
    from_stage: 'dev',
    to_stage: 'dev',
    approved_by: null,
    ci_run_id: '1',
    commit_sha: 'abc1234',
    workflow_id: workflowId,
    run_id: 'run-1',
    kind: 'standard',
    reason: `entry ${seq}`,
    channel: null,
    internal_stage: 'DEV_GATES',
    from_version: null,
    to_version: null,
    ...overrides,
  };
}

describe('migrations', () => {
  test('from empty to the latest, then again: nothing to do', async () => {
    const { store } = await freshStore(0);
    const client = await store.pool.connect();
    try {
      assert.equal(await schemaVersion(client), 0);
      const first = await migrate(store.pool);
      assert.deepEqual(
        first.applied.map((m) => m.version),
        MIGRATIONS.map((m) => m.version),
      );
      assert.equal(await schemaVersion(client), LATEST_SCHEMA_VERSION);
      assert.deepEqual((await migrate(store.pool)).applied, []);
    } finally {
      client.release();
      await store.close();
    }
  });

  test('from every earlier version, keeping the records written under it', async () => {
    for (const m of MIGRATIONS.slice(0, -1)) {
      const { store } = await freshStore(m.version);
      try {
        // Written as a worker of that version would: the rows its tables hold.
        await store.pool.query(
          `INSERT INTO evidence_documents (version, run_id, revision, workflow_id, policy_digest, content_sha256, promotion_log, metrics_json, approval_json)
           VALUES ('v1.0.0', 'run-a', 1, 'release-v1.0.0', 'sha256:p', 'x', 'log', '{}', '{}')`,
        );
        const result = await migrate(store.pool);
        assert.equal(result.from, m.version);
        assert.equal(result.to, LATEST_SCHEMA_VERSION);
        const kept = await store.evidence('v1.0.0');
        assert.equal(kept?.runId, 'run-a', `from ${m.version}: the earlier evidence is still found`);
        assert.equal(kept?.policyDigest, 'sha256:p');
      } finally {
        await store.close();
      }
    }
  });

  test('two migrate runs at once apply each migration once', async () => {
    const { store, url } = await freshStore(0);
    const other = new PostgresRecordsStore(settings(url));
    try {
      const [a, b] = await Promise.all([migrate(store.pool), migrate(other.pool)]);
      assert.equal(a.applied.length + b.applied.length, MIGRATIONS.length);
      const { rows } = await store.pool.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r: { version: number }) => r.version),
        MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await other.close();
      await store.close();
    }
  });

  test('a store whose schema is behind refuses to write and names the command that fixes it', async () => {
    const { store } = await freshStore(LATEST_SCHEMA_VERSION - 1);
    try {
      await assert.rejects(store.appendAudit(entry('release-v1', 1)), (err: Error) => {
        assert.ok(err instanceof RecordsSchemaBehind);
        assert.equal(
          err.message,
          `the records schema in ${store.description} is at version ${LATEST_SCHEMA_VERSION - 1}, this release-promote needs ${LATEST_SCHEMA_VERSION}: run \`release-promote migrate\` with the same config`,
        );
        return true;
      });
      await migrate(store.pool);
      assert.deepEqual(await store.appendAudit(entry('release-v1', 1)), { written: true });
    } finally {
      await store.close();
    }
  });

  test('the script `migrate --print` shows, applied by hand, gives a schema workers accept', async () => {
    const { store } = await freshStore(0);
    try {
      await store.pool.query(migrationScript());
      assert.deepEqual(await store.appendAudit(entry('release-v1', 1)), { written: true });
      assert.deepEqual((await migrate(store.pool)).applied, [], 'migrate finds nothing left to do');
    } finally {
      await store.close();
    }
  });

  test('an applied migration whose SQL differs is refused, not re-run', async () => {
    const { store } = await freshStore();
    try {
      await store.pool.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
      await assert.rejects(migrate(store.pool), /migration 1 \(records\) was applied with different SQL/);
    } finally {
      await store.close();
    }
  });
});

describe('exactly once', () => {
  test('a retried append (the first attempt wrote, then failed) writes nothing more', async () => {
    const { store } = await freshStore();
    try {
      const e = entry('release-v1', 1);
      assert.deepEqual(await store.appendAudit(e), { written: true });
      assert.deepEqual(await store.appendAudit({ ...e, timestamp: new Date().toISOString() }), { written: false });
      const { rows } = await store.pool.query('SELECT count(*)::int AS n FROM audit_entries');
      assert.equal((rows[0] as { n: number }).n, 1);
    } finally {
      await store.close();
    }
  });

  test('four processes appending to the same chains at once, with retries, lose no entry and write none twice', async () => {
    const { store, url } = await freshStore();
    const script = join(dir, 'append-child.ts');
    writeFileSync(
      script,
      [
        `import { PostgresRecordsStore } from ${JSON.stringify(STORE_MODULE)};`,
        'const [settings, proc, count] = process.argv.slice(2) as [string, string, string];',
        'void (async () => {',
        '  const store = new PostgresRecordsStore(JSON.parse(settings));',
        '  for (let seq = 1; seq <= Number(count); seq++) {',
        '    // Every process writes every shared key (as retries and a second worker would) and its own.',
        "    const shared = { key: `shared/run/${seq}`, seq, version: 'v1.2.3', timestamp: new Date().toISOString(), action: 'gate' as const, from_stage: null, to_stage: null, approved_by: null, ci_run_id: null, commit_sha: null, workflow_id: 'shared', run_id: 'run', kind: 'standard' as const, reason: `shared ${seq}`, channel: null, internal_stage: null, from_version: null, to_version: null };",
        '    await store.appendAudit(shared);',
        '    await store.appendAudit({ ...shared, key: `${proc}/run/${seq}`, workflow_id: proc, reason: `${proc} ${seq}` });',
        "    await store.appendAudit({ ...shared, key: `${proc}/rb/${seq}`, workflow_id: proc, kind: 'rollback', reason: `rollback ${proc} ${seq}` });",
        '  }',
        '  await store.close();',
        '})();',
      ].join('\n'),
    );
    const PROCESSES = 4;
    const PER_PROCESS = 25;
    try {
      await Promise.all(
        Array.from({ length: PROCESSES }, (_, p) =>
          runChild(script, [JSON.stringify(settings(url)), `proc-${p}`, String(PER_PROCESS)]),
        ),
      );
      const { rows } = await store.pool.query<{ key: string }>('SELECT key FROM audit_entries');
      const expected = new Set<string>();
      for (let seq = 1; seq <= PER_PROCESS; seq++) {
        expected.add(`shared/run/${seq}`);
        for (let p = 0; p < PROCESSES; p++) expected.add(`proc-${p}/run/${seq}`).add(`proc-${p}/rb/${seq}`);
      }
      assert.equal(rows.length, expected.size, 'one row per key');
      assert.deepEqual(new Set(rows.map((r) => r.key)), expected);
      const reports = await store.verifyAudit();
      assert.deepEqual(
        reports.map((r) => [r.chain, r.entries, r.broken]),
        [
          ['rollbacks', PROCESSES * PER_PROCESS, null],
          ['v1.2.3', PER_PROCESS + PROCESSES * PER_PROCESS, null],
        ],
        'each chain links every entry once, in order',
      );
    } finally {
      await store.close();
    }
  });
});

describe('evidence, version records and the policy log', () => {
  const files = (n: number) => ({
    'promotion.log': `log ${n}\n`,
    'metrics.json': `{"n":${n}}\n`,
    'approval.json': '{}\n',
  });

  test('evidence is kept per run and revision; the same document twice is one revision', async () => {
    const { store } = await freshStore();
    try {
      const doc = { version: 'v2.0.0', workflowId: 'release-v2.0.0', runId: 'run-1', policyDigest: 'sha256:a' };
      assert.equal((await store.putEvidence({ ...doc, files: files(1) })).revision, 1);
      assert.equal((await store.putEvidence({ ...doc, files: files(1) })).revision, 1, 'a retry keeps no copy');
      assert.equal((await store.putEvidence({ ...doc, files: files(2) })).revision, 2);
      await store.putEvidence({ ...doc, runId: 'run-2', files: files(3) });
      assert.equal((await store.evidence('v2.0.0'))?.files['promotion.log'], 'log 3\n', 'the latest run');
      assert.equal((await store.evidence('v2.0.0', 'run-1'))?.files['promotion.log'], 'log 2\n');
      assert.equal((await store.evidence('v2.0.0', 'run-1'))?.revision, 2);
      assert.equal(await store.evidence('v9.9.9'), null);
      const { rows } = await store.pool.query('SELECT count(*)::int AS n FROM evidence_documents');
      assert.equal((rows[0] as { n: number }).n, 3, 'no revision was overwritten');
    } finally {
      await store.close();
    }
  });

  test('version records keep every revision; the latest is read back', async () => {
    const { store } = await freshStore();
    const records = (revision: number, version: string): EnvironmentRecords =>
      ({
        environment: 'production',
        revision,
        current: { version, action: 'promote', promotedBy: '@a', promotedAt: '2026-01-01T00:00:00Z' },
        previous: [],
        lease: null,
        queue: [],
      }) as unknown as EnvironmentRecords;
    try {
      assert.equal(await store.exportVersionRecords(records(1, 'v1')), true);
      assert.equal(await store.exportVersionRecords(records(2, 'v2')), true);
      assert.equal(await store.exportVersionRecords(records(2, 'v2')), false, 'the same revision again');
      assert.equal((await store.versionRecords('production'))?.current?.version, 'v2');
      assert.equal(await store.versionRecords('staging'), null);
    } finally {
      await store.close();
    }
  });

  test('workers starting with the same policy write one line; a change writes the next', async () => {
    const { store } = await freshStore();
    const line = (digest: string, worker: string) => ({
      timestamp: new Date().toISOString(),
      digest,
      changed_by: '@ops',
      reference: null,
      config_file: 'release-promote.yaml',
      worker,
    });
    try {
      const results = await Promise.all([1, 2, 3].map((w) => store.recordPolicyInForce(line('sha256:a', `w${w}`))));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.recordPolicyInForce(line('sha256:b', 'w1')))?.previous_digest, 'sha256:a');
      assert.deepEqual(
        (await store.policyLog()).map((p) => p.digest),
        ['sha256:a', 'sha256:b'],
      );
    } finally {
      await store.close();
    }
  });
});

test('while the database is down a write fails in one line and nothing is half-written; after the restart it lands once', async () => {
  const { store } = await freshStore();
  try {
    await store.appendAudit(entry('release-v3', 1));
    await pg.kill();
    const started = Date.now();
    await assert.rejects(store.appendAudit(entry('release-v3', 2)), (err: Error) => {
      assert.ok(err instanceof RecordsStoreUnavailable, err.message);
      assert.match(
        err.message,
        /^records store postgres 127\.0\.0\.1:\d+\/store_\d+ unreachable while appending audit entry release-v3\/run-1\/2: /,
      );
      assert.equal(err.message.split('\n').length, 1);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'the failure comes within the connect timeout, not the activity timeout');
    await assert.rejects(store.check(), RecordsStoreUnavailable);
    await pg.restart();
    assert.deepEqual(await store.appendAudit(entry('release-v3', 2)), { written: true });
    assert.deepEqual(await store.appendAudit(entry('release-v3', 2)), { written: false });
    const [report] = await store.verifyAudit('v1.2.3');
    assert.deepEqual([report?.entries, report?.broken], [2, null]);
  } finally {
    await store.close();
  }
});

/** A child process running `script` under tsx; rejects with its stderr when it fails. */
async function runChild(script: string, args: string[]): Promise<void> {
  const run = await runProcess(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: join(__dirname, '..', '..'),
  });
  if (run.code !== 0) throw new Error(`child exited ${run.code}: ${run.stderr}`);
}
