// The README's main job, run as a user runs it: the demo on a fresh directory, healthy and with an
// error-rate regression that must end in an automatic rollback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');

function demo(...args: string[]): Promise<{ code: number | null; out: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-demo-'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, dir });
    });
  });
}

test('the demo drives a release through every stage to production and exits 0', async () => {
  const { code, out, dir } = await demo();
  try {
    assert.equal(code, 0, out);
    assert.match(out, /Durations are scaled for the demo: staging soak 20s \(real default 2h\)/);
    assert.match(out, /Web UI http:\/\/127\.0\.0\.1:\d+/);
    for (const step of [
      'DEV_GATES +→ DEPLOYING_STAGING',
      'DEPLOYING_STAGING +→ STAGING_SOAK',
      'STAGING_SOAK +→ CANARY',
      'CANARY +→ PRODUCTION_ROLLOUT',
      'PRODUCTION_ROLLOUT +→ PROMOTED',
    ]) {
      assert.match(out, new RegExp(step), `missing ${step}`);
    }
    assert.match(out, /\$ release-promote approve v1\.2\.3 --approver=@alice/);
    assert.match(out, /v1\.2\.3: PROMOTED — v1\.2\.3 serves 100% of production: ✓ api-gateway: v1\.2\.3 \(healthy\)/);
    const approvals = JSON.parse(readFileSync(join(dir, 'TEST/release/v1.2.3/approval.json'), 'utf8')) as {
      approvals: Array<{ approver: string }>;
    };
    assert.equal(approvals.approvals[0]?.approver, '@alice');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the demo with an error-rate regression rolls back automatically and says why', async () => {
  const { code, out, dir } = await demo('--scenario', 'error-rate-regression', '--version', 'v1.2.4');
  try {
    assert.equal(code, 0, out);
    assert.match(out, /CANARY +→ ROLLING_BACK +api-gateway: error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp/);
    assert.match(
      out,
      /v1\.2\.4: ROLLED_BACK — api-gateway: error rate 2\.4% vs baseline 0\.3%: \+2\.1 pp ≥ 1 pp; .*v1\.0\.0 still serves production/,
    );
    // The demo stops its worker only after the release's workflow closed: what it points to is on disk.
    const audit = readFileSync(join(dir, 'operational_audit/releases/v1.2.4.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; to_stage: string; internal_stage: string });
    assert.equal(audit.at(-1)?.action, 'finish');
    assert.deepEqual([audit.at(-1)?.to_stage, audit.at(-1)?.internal_stage], ['canary', 'ROLLED_BACK']);
    assert.match(readFileSync(join(dir, 'TEST/release/v1.2.4/promotion.log'), 'utf8'), /ROLLED_BACK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
