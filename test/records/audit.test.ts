// The audit trail (operational_audit/releases/<version>.jsonl): exactly one entry per action even when
// the activity that writes it is retried after writing, a torn last line left by a crashed writer is
// cut off, concurrent writers (promises and processes) all land, and the entries of a full release, an
// automatic rollback and a hotfix follow the expected sequence of actions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { appendAuditEntry, readAuditEntries } from '../../src/records/audit-log';
import { readPolicyLog, recordPolicyInForce } from '../../src/records/policy-log';
import type { AuditEntry, StoredAuditEntry } from '../../src/shared/audit';
import { approveUpdate } from '../../src/shared/messages';
import type { ReleaseResult } from '../../src/shared/release';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { withHarness, type Harness } from '../helpers/release-harness';
import { eventually } from '../helpers/eventually';

const AUDIT_LOG_MODULE = join(__dirname, '..', '..', 'src', 'records', 'audit-log.ts');

function entry(key: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  const seq = Number(key.split('/').at(-1)) || 1;
  return {
    key,
    seq,
    version: 'v1.2.3',
    timestamp: new Date(Date.UTC(2025, 9, 5, 12, 0, seq)).toISOString(),
    action: 'promote',
    from_stage: 'staging',
    to_stage: 'canary',
    approved_by: '@username',
    ci_run_id: '12345',
    commit_sha: 'abc123',
    workflow_id: 'release-v1.2.3',
    run_id: 'run-1',
    kind: 'standard',
    reason: 'test entry',
    channel: null,
    internal_stage: 'CANARY',
    from_version: null,
    to_version: null,
    ...overrides,
  };
}

/** Every line of the file must be a complete JSON entry. */
function lines(path: string): AuditEntry[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a complete line');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-promote-audit-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Temporal's activity retry, reduced to what matters here: call again until an attempt succeeds. */
async function retried<T>(
  attempt: (n: number) => Promise<T>,
  maxAttempts = 3,
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (err) {
      if (n >= maxAttempts) throw err;
    }
  }
}

test(
  'a retried append writes the entry exactly once (the first attempt failed after writing)',
  withDir(async (dir) => {
    const e = entry('release-v1.2.3/run-1/1');
    const written: boolean[] = [];
    // The real appendAudit activity logic, wrapped so the first attempt dies after its write, as a
    // worker that crashes (or an activity whose completion is lost) before reporting success.
    const appendAudit = async (n: number) => {
      const result = await appendAuditEntry(dir, e);
      written.push(result.written);
      if (n === 1) throw new Error('worker lost after writing (simulated)');
      return result;
    };
    const { value, attempts } = await retried(appendAudit);
    assert.equal(attempts, 2);
    assert.deepEqual(written, [true, false], 'the retry found the key and did not write again');
    assert.equal(value.written, false);
    const file = lines(join(dir, 'v1.2.3.jsonl'));
    assert.equal(file.length, 1);
    const { prev_hash, hash, ...written1 } = file[0] as StoredAuditEntry;
    assert.deepEqual(written1, e);
    assert.equal(prev_hash, null, 'the first entry of its chain links to nothing');
    assert.match(hash ?? '', /^sha256:[0-9a-f]{64}$/);

    // A later retry of the same action with a different timestamp (rebuilt input) is still the same key.
    assert.deepEqual(await appendAuditEntry(dir, { ...e, timestamp: new Date().toISOString() }), { written: false });
    assert.equal(lines(join(dir, 'v1.2.3.jsonl')).length, 1);
  }),
);

test(
  'a torn last line (a writer crashed mid-write) is cut off and the next append works',
  withDir(async (dir) => {
    const path = join(dir, 'v1.2.3.jsonl');
    await appendAuditEntry(dir, entry('release-v1.2.3/run-1/1'));
    const second = entry('release-v1.2.3/run-1/2', { action: 'approve', reason: 'approved via cli' });
    // The crashed writer got half of the second entry out, without its newline.
    const full = `${JSON.stringify(second)}\n`;
    appendFileSync(path, full.slice(0, Math.floor(full.length / 2)));
    assert.throws(
      () =>
        readFileSync(path, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as unknown),
      SyntaxError,
      'the file is torn',
    );

    // The activity is retried: the same entry is appended again, after the torn line is cut.
    assert.deepEqual(await appendAuditEntry(dir, second), { written: true });
    await appendAuditEntry(dir, entry('release-v1.2.3/run-1/3', { action: 'finish' }));
    const file = lines(path);
    assert.deepEqual(
      file.map((e) => [e.key, e.action]),
      [
        ['release-v1.2.3/run-1/1', 'promote'],
        ['release-v1.2.3/run-1/2', 'approve'],
        ['release-v1.2.3/run-1/3', 'finish'],
      ],
    );
    assert.equal(readAuditEntries(dir, 'v1.2.3').length, 3);
  }),
);

test(
  'a torn line that is the only content of the file is cut as well',
  withDir(async (dir) => {
    const path = join(dir, 'v1.2.3.jsonl');
    writeFileSync(path, '{"key":"release-v1.2.3/run-1/1","seq":1,"vers');
    await appendAuditEntry(dir, entry('release-v1.2.3/run-1/1'));
    assert.deepEqual(
      lines(path).map((e) => e.key),
      ['release-v1.2.3/run-1/1'],
    );
  }),
);

function runChild(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

test(
  'concurrent appends from several processes and promises, with distinct keys, all land exactly once',
  withDir(async (dir) => {
    const auditDir = join(dir, 'audit');
    const script = join(dir, 'append-child.ts');
    writeFileSync(
      script,
      [
        `import { appendAuditEntry } from ${JSON.stringify(AUDIT_LOG_MODULE)};`,
        'const [dir, workflowId, count] = process.argv.slice(2) as [string, string, string];',
        'void (async () => {',
        '  for (let seq = 1; seq <= Number(count); seq++) {',
        "    const e = { key: `${workflowId}/run/${seq}`, seq, version: 'v1.2.3', timestamp: new Date().toISOString(), action: 'gate' as const, from_stage: null, to_stage: null, approved_by: null, ci_run_id: null, commit_sha: null, workflow_id: workflowId, run_id: 'run', kind: 'standard' as const, reason: `entry ${seq} of ${workflowId}`, channel: null };",
        '    await appendAuditEntry(dir, e);',
        '    if (seq % 5 === 0) await appendAuditEntry(dir, e); // a retry: must not write again',
        '  }',
        '})();',
      ].join('\n'),
    );
    const PROCESSES = 4;
    const PER_PROCESS = 20;
    const PROMISES = 20;
    await Promise.all([
      ...Array.from({ length: PROCESSES }, (_, p) => runChild(script, [auditDir, `proc-${p}`, String(PER_PROCESS)])),
      ...Array.from({ length: PROMISES }, (_, i) =>
        appendAuditEntry(auditDir, entry(`promise-${i}/run/1`, { reason: `promise ${i}` })),
      ),
      // The same key from several promises at once (an activity running twice): one entry.
      ...Array.from({ length: 5 }, () => appendAuditEntry(auditDir, entry('duplicate/run/1'))),
    ]);
    const file = lines(join(auditDir, 'v1.2.3.jsonl'));
    const keys = file.map((e) => e.key);
    assert.equal(new Set(keys).size, keys.length, 'no key twice');
    assert.equal(file.length, PROCESSES * PER_PROCESS + PROMISES + 1);
    for (let p = 0; p < PROCESSES; p++) {
      const own = file.filter((e) => e.workflow_id === `proc-${p}`).map((e) => e.seq);
      assert.deepEqual(
        own,
        Array.from({ length: PER_PROCESS }, (_, i) => i + 1),
        `every entry of proc-${p}, in its order`,
      );
    }
    assert.equal(existsSync(join(auditDir, 'v1.2.3.jsonl.lock')), false, 'the lock was released');
  }),
);

// ---------------------------------------------------------------------------------------------------
// The audit trail of whole releases, on the time-skipping server with the seed's durations.

/** One line per entry: action, the seed's stages, approver and the internal stage, e.g. "promote staging→canary @alice (CANARY)". */
function actionLine(e: AuditEntry): string {
  return `${e.action} ${e.from_stage ?? '-'}→${e.to_stage ?? '-'}${e.approved_by ? ` ${e.approved_by}` : ''} (${e.internal_stage ?? '-'})`;
}

const DEV_GATES = Array.from({ length: 4 }, () => 'gate dev→dev (DEV_GATES)');
const STAGING_GATES = Array.from({ length: 3 }, () => 'gate staging→staging (STAGING_SOAK)');
const THROUGH_APPROVAL = [
  'start dev→dev (DEV_GATES)',
  ...DEV_GATES,
  'promote dev→staging (DEPLOYING_STAGING)',
  'progress staging→staging (STAGING_SOAK)',
  ...STAGING_GATES,
  'progress staging→staging (AWAITING_APPROVAL)',
  'approval_request staging→staging (AWAITING_APPROVAL)',
  'approve staging→staging @alice (AWAITING_APPROVAL)',
  // The seed's example entry: the promotion into the canary, with its approver.
  'promote staging→canary @alice (CANARY)',
];

describe('the audit trail of a release, a rollback and a hotfix', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  const auditPath = (h: Harness, version: string) => join(h.dir, 'audit', `${version}.jsonl`);

  async function waitForAction(h: Harness, version: string, action: string): Promise<void> {
    await eventually(
      `a ${action} entry in the audit trail of ${version}`,
      () => existsSync(auditPath(h, version)) && lines(auditPath(h, version)).some((e) => e.action === action),
    );
  }

  /** Start, soak, then approve once the approval was requested (so the order is deterministic). */
  async function releaseApprovedAfterSoak(
    h: Harness,
    version: string,
  ): Promise<{ handle: WorkflowHandle; result: ReleaseResult }> {
    const handle = await h.start({ version });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await env.sleep('130m');
    await h.waitForStage(handle, 'AWAITING_APPROVAL');
    await waitForAction(h, version, 'approval_request');
    await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
    return { handle, result: await handle.result() };
  }

  function checkCommon(file: AuditEntry[], workflowId: string, kind: AuditEntry['kind'], ciRunId: string | null): void {
    assert.deepEqual(
      file.map((e) => e.seq),
      Array.from({ length: file.length }, (_, i) => i + 1),
      'seq 1..n, nothing missing or repeated',
    );
    assert.equal(new Set(file.map((e) => e.key)).size, file.length, 'unique idempotency keys');
    const runIds = new Set(file.map((e) => e.run_id));
    assert.equal(runIds.size, 1, 'one run');
    for (const e of file) {
      assert.equal(e.workflow_id, workflowId);
      assert.equal(e.key, `${workflowId}/${e.run_id}/${e.seq}`);
      assert.equal(e.kind, kind);
      assert.equal(e.commit_sha, 'abc1234def5678');
      assert.equal(e.ci_run_id, ciRunId);
      assert.ok(!Number.isNaN(Date.parse(e.timestamp)), 'an ISO timestamp');
      assert.ok(e.reason.length > 0, 'every entry says why');
    }
    const times = file.map((e) => Date.parse(e.timestamp));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'in time order',
    );
  }

  test('a full release: start, gates, staging, soak, approval, canary, production', async () => {
    await withHarness(env, { scenario: 'healthy' }, async (h) => {
      const { result } = await releaseApprovedAfterSoak(h, 'v1.2.3');
      assert.equal(result.outcome, 'PROMOTED', result.reason);
      const file = lines(auditPath(h, 'v1.2.3'));
      assert.deepEqual(file.map(actionLine), [
        ...THROUGH_APPROVAL,
        'promote canary→production (PRODUCTION_ROLLOUT)',
        'finish production→production (PROMOTED)',
      ]);
      checkCommon(file, 'release-v1.2.3', 'standard', '12345');
      const approval = file.find((e) => e.action === 'approve')!;
      assert.equal(approval.channel, 'cli');
      assert.match(approval.reason, /approved via cli: 1 of 1 approval \(@alice\)/);
      const intoCanary = file.find((e) => e.action === 'promote' && e.to_stage === 'canary')!;
      assert.match(intoCanary.reason, /deploying v1\.2\.3 as a 10% canary in production/);
      // Field for field the seed's example: version, timestamp, action, from_stage, to_stage, approved_by, ci_run_id, commit_sha.
      const { version, timestamp, action, from_stage, to_stage, approved_by, ci_run_id, commit_sha } = intoCanary;
      assert.deepEqual(
        { version, action, from_stage, to_stage, approved_by, ci_run_id, commit_sha },
        {
          version: 'v1.2.3',
          action: 'promote',
          from_stage: 'staging',
          to_stage: 'canary',
          approved_by: '@alice',
          ci_run_id: '12345',
          commit_sha: 'abc1234def5678',
        },
      );
      assert.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  test('an automatic rollback (error-rate-regression): the breach, the rollback and its outcome', async () => {
    await withHarness(env, { scenario: 'error-rate-regression' }, async (h) => {
      const { result } = await releaseApprovedAfterSoak(h, 'v1.3.0');
      assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
      const file = lines(auditPath(h, 'v1.3.0'));
      assert.deepEqual(file.map(actionLine), [
        ...THROUGH_APPROVAL,
        'rollback canary→canary (ROLLING_BACK)',
        'finish canary→canary (ROLLED_BACK)',
      ]);
      checkCommon(file, 'release-v1.3.0', 'standard', '12345');
      const breach = ['api-gateway', 'orchestrator', 'workers']
        .map((s) => `${s}: error rate 2.4% vs baseline 0.3%: +2.1 pp ≥ 1 pp`)
        .join('; ');
      const rollback = file.find((e) => e.action === 'rollback')!;
      assert.equal(rollback.reason, breach);
      assert.deepEqual(
        [rollback.from_version, rollback.to_version],
        ['v1.3.0', 'v1.0.0'],
        'the versions in fields of their own',
      );
      assert.equal(file.find((e) => e.action === 'finish')!.reason, `${breach}; v1.0.0 still serves production`);
    });
  });

  test('a hotfix: no staging, two approvals, canary, production', async () => {
    await withHarness(env, { scenario: 'healthy' }, async (h) => {
      const handle = await h.start({
        kind: 'hotfix',
        hotfixApprovers: ['@alice', '@bob'],
        version: 'v1.2.4',
        ciRunId: null,
      });
      await waitForAction(h, 'v1.2.4', 'approval_request');
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@bob', channel: 'slack' }] });
      await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
      const result = await handle.result();
      assert.equal(result.outcome, 'PROMOTED', result.reason);
      const file = lines(auditPath(h, 'v1.2.4'));
      assert.deepEqual(file.map(actionLine), [
        'start dev→dev (AWAITING_APPROVAL)',
        // The commit's dev gates, before anyone is asked.
        ...Array.from({ length: 4 }, () => 'gate dev→dev (AWAITING_APPROVAL)'),
        'approval_request dev→dev (AWAITING_APPROVAL)',
        'hotfix_approve dev→dev @bob (AWAITING_APPROVAL)',
        'hotfix_approve dev→dev @alice (AWAITING_APPROVAL)',
        // Straight from dev to the canary, with both approvers.
        'promote dev→canary @bob,@alice (CANARY)',
        'promote canary→production (PRODUCTION_ROLLOUT)',
        'finish production→production (PROMOTED)',
      ]);
      checkCommon(file, 'hotfix-v1.2.4', 'hotfix', null);
      assert.deepEqual(
        file.filter((e) => e.action === 'hotfix_approve').map((e) => e.channel),
        ['slack', 'cli'],
      );
      assert.match(
        file.find((e) => e.action === 'approval_request')!.reason,
        /hotfix v1\.2\.4 asks @alice and @bob to approve \(staging is skipped\)/,
      );
      assert.match(file.filter((e) => e.action === 'hotfix_approve')[1]!.reason, /2 of 2 approvals \(@bob, @alice\)/);
    });
  });
});

test(
  "a version's trail holds the manual rollbacks to and from it, and none that merely mention it",
  withDir(async (dir) => {
    await appendAuditEntry(dir, entry('release-v1.2.3/run-1/1'));
    const rollback = (key: string, from: string, to: string) =>
      entry(key, {
        kind: 'rollback',
        version: to,
        from_stage: 'production',
        to_stage: 'production',
        from_version: from,
        to_version: to,
        action: 'rollback',
        workflow_id: key.split('/')[0]!,
        reason: `manual rollback of production from ${from} to ${to}`,
      });
    await appendAuditEntry(dir, rollback('rollback-production-1/run-1/2', 'v1.2.3', 'v1.2.2'));
    await appendAuditEntry(dir, rollback('rollback-production-2/run-1/3', 'v1.2.30', 'v1.2.2'));
    await appendAuditEntry(dir, rollback('rollback-production-3/run-1/4', 'v1.2.4', 'v1.2.3'));
    assert.deepEqual(
      readAuditEntries(dir, 'v1.2.3').map((e) => e.key),
      ['release-v1.2.3/run-1/1', 'rollback-production-1/run-1/2', 'rollback-production-3/run-1/4'],
    );
    assert.deepEqual(
      readAuditEntries(dir, 'v1.2.30').map((e) => e.key),
      ['rollback-production-2/run-1/3'],
    );
  }),
);

test(
  "the policy's audit trail: one line per change of digest, however many workers start with it",
  withDir(async (dir) => {
    const base = {
      timestamp: '2025-10-05T12:00:00.000Z',
      changed_by: '@alice',
      reference: 'PR 42',
      config_file: '/etc/release-promote.yaml',
    };
    // Four workers start at once with the same rules: one line between them.
    const results = await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map((worker) => recordPolicyInForce(dir, { ...base, digest: 'sha256:aaa', worker })),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal(
      await recordPolicyInForce(dir, { ...base, digest: 'sha256:aaa', worker: 'w5' }),
      null,
      'a restart with the same rules',
    );
    const changed = await recordPolicyInForce(dir, { ...base, digest: 'sha256:bbb', changed_by: '@bob', worker: 'w1' });
    assert.deepEqual(
      [changed?.digest, changed?.previous_digest, changed?.changed_by],
      ['sha256:bbb', 'sha256:aaa', '@bob'],
    );
    assert.deepEqual(
      readPolicyLog(dir).map((e) => [e.digest, e.previous_digest]),
      [
        ['sha256:aaa', null],
        ['sha256:bbb', 'sha256:aaa'],
      ],
    );
  }),
);
