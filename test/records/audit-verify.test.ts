// `audit verify` on both stores: an intact trail verifies; an edited, a deleted and a reordered entry
// are each found, and the report names the first broken link. Run through the CLI as a person would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { runCliInProcess } from '../helpers/cli';
import { FileRecordsStore } from '../../src/records/file-store';
import { PostgresRecordsStore } from '../../src/records/postgres/store';
import { migrate } from '../../src/records/postgres/migrate';
import type { RecordsStore } from '../../src/records/store';
import type { AuditEntry } from '../../src/shared/audit';
import { verifyChain, chainEntry } from '../../src/records/audit-chain';

let pg: PostgresServer;
let dir: string;
let n = 0;

before(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-verify-'));
});

after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function entry(seq: number): AuditEntry {
  return {
    key: `release-v4.0.0/run-1/${seq}`,
    seq,
    version: 'v4.0.0',
    timestamp: new Date(Date.UTC(2026, 0, 2, 9, 0, seq)).toISOString(),
    action: seq === 1 ? 'start' : 'gate',
    from_stage: 'dev',
    to_stage: 'dev',
    approved_by: null,
    ci_run_id: '9',
    commit_sha: 'abc1234',
    workflow_id: 'release-v4.0.0',
    run_id: 'run-1',
    kind: 'standard',
    reason: `step ${seq}`,
    channel: null,
    internal_stage: 'DEV_GATES',
    from_version: null,
    to_version: null,
  };
}

interface Subject {
  store: RecordsStore;
  configFile: string;
  edit(seq: number): Promise<void>;
  remove(seq: number): Promise<void>;
  swap(a: number, b: number): Promise<void>;
}

async function filesSubject(): Promise<Subject> {
  const root = join(dir, `files-${++n}`);
  const records = { auditDir: join(root, 'audit'), evidenceDir: join(root, 'evidence'), sotDir: join(root, 'sot') };
  const configFile = join(root, 'release-promote.yaml');
  const store = new FileRecordsStore(records);
  await store.check();
  writeFileSync(configFile, `records: ${JSON.stringify(records)}\n`);
  const file = join(records.auditDir, 'v4.0.0.jsonl');
  const rewrite = (change: (lines: string[]) => string[]) =>
    writeFileSync(file, `${change(readFileSync(file, 'utf8').trim().split('\n')).join('\n')}\n`);
  return {
    store,
    configFile,
    edit: (seq) =>
      Promise.resolve(
        rewrite((l) => l.map((line, i) => (i === seq - 1 ? line.replace(`step ${seq}`, 'edited') : line))),
      ),
    remove: (seq) => Promise.resolve(rewrite((l) => l.filter((_, i) => i !== seq - 1))),
    swap: (a, b) =>
      Promise.resolve(
        rewrite((l) => l.map((line, i) => (i === a - 1 ? (l[b - 1] ?? '') : i === b - 1 ? (l[a - 1] ?? '') : line))),
      ),
  };
}

async function postgresSubject(): Promise<Subject> {
  const url = (await pg.createDatabase(`verify_${++n}`)).replace(/:[^:@/]+@/, '@');
  const postgres = {
    url,
    passwordFile: pg.passwordFile,
    tls: { mode: 'disable' as const },
    poolSize: 2,
    connectTimeoutMs: 2_000,
    statementTimeoutMs: 5_000,
  };
  const store = new PostgresRecordsStore(postgres);
  await migrate(store.pool);
  const configFile = join(dir, `postgres-${n}.yaml`);
  writeFileSync(
    configFile,
    `records:\n  store: postgres\n  postgres: { url: '${url}', passwordFile: '${pg.passwordFile}', tls: { mode: disable } }\n`,
  );
  const q = async (sql: string, params: unknown[]): Promise<void> => {
    await store.pool.query(sql, params);
  };
  return {
    store,
    configFile,
    edit: (seq) =>
      q(
        `UPDATE audit_entries SET entry = jsonb_set(entry, '{reason}', '"edited"') WHERE chain = 'v4.0.0' AND position = $1`,
        [seq],
      ),
    remove: (seq) => q(`DELETE FROM audit_entries WHERE chain = 'v4.0.0' AND position = $1`, [seq]),
    swap: async (a, b) => {
      await q(`UPDATE audit_entries SET position = -1 WHERE chain = 'v4.0.0' AND position = $1`, [a]);
      await q(`UPDATE audit_entries SET position = $1 WHERE chain = 'v4.0.0' AND position = $2`, [a, b]);
      await q(`UPDATE audit_entries SET position = $1 WHERE chain = 'v4.0.0' AND position = -1`, [b]);
    },
  };
}

async function verify(subject: Subject): Promise<{ code: number; out: string }> {
  const run = await runCliInProcess(['audit', 'verify', 'v4.0.0'], { RELEASE_PROMOTE_CONFIG: subject.configFile });
  return { code: run.code ?? -1, out: `${run.stdout}${run.stderr}` };
}

for (const [name, make] of [
  ['files', filesSubject],
  ['postgres', postgresSubject],
] as const) {
  describe(`audit verify on the ${name} store`, () => {
    const fresh = async () => {
      const subject = await make();
      for (let seq = 1; seq <= 5; seq++) await subject.store.appendAudit(entry(seq));
      return subject;
    };

    test('an intact trail verifies (exit 0)', async () => {
      const s = await fresh();
      const run = await verify(s);
      assert.equal(run.code, 0, run.out);
      assert.equal(run.out, 'ok      v4.0.0: 5 entries, chain intact\n');
      await s.store.close();
    });

    test('an edited entry is named as altered (exit 1)', async () => {
      const s = await fresh();
      await s.edit(3);
      const run = await verify(s);
      assert.equal(run.code, 1, run.out);
      assert.equal(
        run.out,
        'BROKEN  v4.0.0: 5 entries; first broken link at position 3: entry release-v4.0.0/run-1/3 (gate at 2026-01-02T09:00:03.000Z) was altered: its content no longer matches its hash\n',
      );
      await s.store.close();
    });

    test('a deleted entry is found at the next one', async () => {
      const s = await fresh();
      await s.remove(2);
      const run = await verify(s);
      assert.equal(run.code, 1, run.out);
      assert.match(
        run.out,
        name === 'postgres'
          ? /^BROKEN {2}v4\.0\.0: 4 entries; first broken link at position 3: entries 2\.\.2 before release-v4\.0\.0\/run-1\/3 are missing \(deleted\)\n$/
          : /^BROKEN {2}v4\.0\.0: 4 entries; first broken link at position 2: entry release-v4\.0\.0\/run-1\/3 does not follow release-v4\.0\.0\/run-1\/1: an entry between them was deleted, or the entries were reordered\n$/,
      );
      await s.store.close();
    });

    test('reordered entries are found at the first out of place', async () => {
      const s = await fresh();
      await s.swap(2, 4);
      const run = await verify(s);
      assert.equal(run.code, 1, run.out);
      assert.match(
        run.out,
        /^BROKEN {2}v4\.0\.0: 5 entries; first broken link at position 2: entry release-v4\.0\.0\/run-1\/4 does not follow release-v4\.0\.0\/run-1\/1/,
      );
      await s.store.close();
    });
  });
}

test('entries written before chaining are reported as such, and an unhashed entry after a chained one is a break', () => {
  const plain = [entry(1), entry(2)];
  const chained = chainEntry(entry(3), null);
  assert.deepEqual(verifyChain('v4.0.0', [...plain, chained]), {
    chain: 'v4.0.0',
    entries: 3,
    unchained: 2,
    broken: null,
  });
  const report = verifyChain('v4.0.0', [chained, entry(4)]);
  assert.equal(report.broken?.position, 2);
  assert.match(report.broken?.problem ?? '', /has no hash after chained entries/);
});

test('audit export writes the postgres trail as the seed files, which verify intact in the files store', async () => {
  const s = await postgresSubject();
  for (let seq = 1; seq <= 5; seq++) await s.store.appendAudit(entry(seq));
  await s.store.appendAudit({
    ...entry(9),
    key: 'rollback-production-1/run-1/1',
    kind: 'rollback',
    reason: 'rolled back',
  });
  await s.store.recordPolicyInForce({
    timestamp: '2026-01-02T08:00:00.000Z',
    digest: 'sha256:p',
    changed_by: '@ops',
    reference: null,
    config_file: 'release-promote.yaml',
    worker: 'w1',
  });
  const out = join(dir, `export-${++n}`);
  const run = await runCliInProcess(['audit', 'export', '--dir', out], { RELEASE_PROMOTE_CONFIG: s.configFile });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n').sort(), [
    join(out, 'policy.jsonl'),
    join(out, 'rollbacks.jsonl'),
    join(out, 'v4.0.0.jsonl'),
  ]);
  const exported = new FileRecordsStore({ auditDir: out, evidenceDir: join(out, 'e'), sotDir: join(out, 's') });
  assert.deepEqual(
    (await exported.verifyAudit()).map((r) => [r.chain, r.entries, r.broken]),
    [
      ['rollbacks', 1, null],
      ['v4.0.0', 5, null],
    ],
  );
  assert.equal((await exported.policyLog())[0]?.digest, 'sha256:p');
  await s.store.close();
});
