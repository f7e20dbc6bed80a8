// Release evidence as the seed lists it (TEST/release/<version>/{promotion.log,metrics.json,approval.json}),
// written by the workers at every stage change: after a release, an automatic rollback and a hotfix, on
// the time-skipping server with the seed's durations (2 h soak, 30 min canary judged every minute).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../helpers/temporal-env';
import { MINUTE, withHarness, type Harness } from '../helpers/release-harness';
import { approveUpdate } from '../../src/shared/messages';
import { readAuditEntries } from '../../src/records/audit-log';
import type { ApprovalRecord, CanaryEvaluation, ReleaseResult, ReleaseStatus } from '../../src/shared/release';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const THRESHOLDS = { maxErrorRateIncreasePp: 1, maxP99IncreasePct: 10, minAvailabilityPct: 99.9, minRequestCount: 100 };
const SERVICES = ['api-gateway', 'orchestrator', 'workers'];
// Each simulated service: the canary's 620 requests beside the stable 6000 are 9.37% of them.
const HEALTHY_REASON = `all 3 canary services healthy; within thresholds: ${SERVICES.map(
  (s) => `${s} 9.37% of requests, error rate 0.32% vs 0.3%, P99 184 ms vs 180 ms, availability 99.96%`,
).join('; ')}`;
const SERVICE_BREACH = 'error rate 2.4% vs baseline 0.3%: +2.1 pp ≥ 1 pp';
const BREACH = SERVICES.map((s) => `${s}: ${SERVICE_BREACH}`).join('; ');

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

interface MetricsJson {
  version: string;
  workflowId: string;
  thresholds: typeof THRESHOLDS;
  canary: { weightPercent: number; minDurationMs: number; elapsedMs: number; startedAt: string };
  evaluations: CanaryEvaluation[];
}

interface ApprovalJson {
  version: string;
  kind: string;
  workflowId: string;
  requestedBy: string;
  requiredApprovals: number;
  asked: string[];
  approvals: ApprovalRecord[];
  rejection: ApprovalRecord | null;
}

interface Evidence {
  log: string[];
  metrics: MetricsJson;
  approval: ApprovalJson;
}

function readEvidence(h: Harness, version: string): Evidence {
  const dir = join(h.dir, 'evidence', version);
  for (const f of ['promotion.log', 'metrics.json', 'approval.json'])
    assert.ok(existsSync(join(dir, f)), `${version}/${f} exists`);
  return {
    log: readFileSync(join(dir, 'promotion.log'), 'utf8').split('\n'),
    metrics: JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as MetricsJson,
    approval: JSON.parse(readFileSync(join(dir, 'approval.json'), 'utf8')) as ApprovalJson,
  };
}

/** The lines of a "## <title>" section of promotion.log, up to the next blank line. */
function section(log: string[], title: string): string[] {
  const start = log.findIndex((l) => l === `## ${title}` || l.startsWith(`## ${title}:`));
  assert.ok(start >= 0, `promotion.log has a "## ${title}" section`);
  const end = log.indexOf('', start);
  return log.slice(start + 1, end < 0 ? undefined : end);
}

/** promotion.log's timeline has one line per audit entry, in order, with its time, action and reason. */
function checkTimeline(h: Harness, version: string, log: string[]): void {
  const timeline = section(log, 'Timeline');
  const audit = readAuditEntries(join(h.dir, 'audit'), version);
  assert.ok(audit.length > 0);
  assert.equal(timeline.length, audit.length, 'one timeline line per audit entry');
  audit.forEach((e, i) => {
    const line = timeline[i]!;
    assert.ok(line.startsWith(`${e.timestamp}  ${e.action}`), `timeline line ${i + 1}: ${line}`);
    assert.ok(line.endsWith(e.reason), `timeline line ${i + 1} ends with its reason`);
    if (e.approved_by) assert.ok(line.includes(`by ${e.approved_by}`));
  });
}

/** metrics.json holds every evaluation with its inputs, checks, verdict and reason; promotion.log lists each one. */
function checkEvaluations(evidence: Evidence, status: ReleaseStatus, expectedCount: number): void {
  const { metrics, log } = evidence;
  assert.equal(metrics.version, status.version);
  assert.equal(metrics.workflowId, status.workflowId);
  assert.deepEqual(metrics.thresholds, THRESHOLDS);
  assert.equal(metrics.canary.weightPercent, 10);
  assert.equal(metrics.canary.minDurationMs, 30 * MINUTE);
  assert.equal(metrics.evaluations.length, expectedCount);
  assert.deepEqual(metrics.evaluations, status.canary.evaluations, 'every evaluation the workflow made');
  metrics.evaluations.forEach((e, i) => {
    assert.match(e.at, ISO);
    assert.ok(['pass', 'rollback', 'pause', 'inconclusive'].includes(e.verdict));
    assert.ok(e.reason.length > 0, `evaluation ${i + 1} has a reason`);
    // The three services' baselines summed (each simulated service has 6000 stable requests).
    assert.equal(e.baseline.requests, 18_000);
    assert.equal(e.weightPct, 10);
    assert.deepEqual(
      e.services?.map((svc) => svc.service),
      SERVICES,
    );
    assert.equal(e.health.length, 3);
    assert.deepEqual(
      e.checks.map((c) => c.check),
      ['health', ...SERVICES.flatMap(() => ['traffic-share', 'error-rate', 'availability', 'p99-latency'])],
    );
    if (i > 0) assert.ok(e.canaryElapsedMs > metrics.evaluations[i - 1]!.canaryElapsedMs, 'in order');
  });
  const lines = section(log, 'Canary evaluations');
  assert.equal(lines.length, expectedCount, 'one promotion.log line per evaluation');
  lines.forEach((line, i) => {
    const e = metrics.evaluations[i]!;
    assert.ok(line.startsWith(`${e.at}  +${Math.round(e.canaryElapsedMs / MINUTE)}m  ${e.verdict}`), line);
    assert.ok(line.endsWith(e.reason), line);
  });
}

function checkApproval(a: ApprovalRecord, approver: string, channel: string, subject: string): void {
  assert.equal(a.approver, approver);
  assert.equal(a.channel, channel);
  assert.equal(a.subject, subject);
  assert.match(a.at, ISO);
}

async function promote(h: Harness, version: string): Promise<{ result: ReleaseResult; status: ReleaseStatus }> {
  const handle = await h.start({ version });
  await h.waitForStage(handle, 'STAGING_SOAK');
  await handle.executeUpdate(approveUpdate, {
    args: [{ approver: '@alice', channel: 'slack', note: 'load test numbers look fine' }],
  });
  const result = await handle.result();
  return { result, status: await h.status(handle) };
}

test('a promoted release: the timeline, 30 passing evaluations and the approval', async () => {
  await withHarness(env, { scenario: 'healthy' }, async (h) => {
    const { result, status } = await promote(h, 'v1.2.3');
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const evidence = readEvidence(h, 'v1.2.3');

    assert.deepEqual(evidence.log.slice(0, 4), [
      '# Promotion log: v1.2.3 (standard)',
      `workflow: release-v1.2.3   run: ${status.runId}`,
      'commit: abc1234def5678   ci run: 12345   requested by: @dev',
      `outcome: PROMOTED — ${result.reason}`,
    ]);
    checkTimeline(h, 'v1.2.3', evidence.log);
    const gates = section(evidence.log, 'Gates');
    assert.deepEqual(
      gates.map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
      [
        'PASS ci-checks',
        'PASS unit-coverage',
        'PASS security-findings',
        'PASS code-review',
        'PASS e2e-tests',
        'PASS load-tests',
        'PASS security-scan',
      ],
    );
    assert.ok(gates.includes('PASS  unit-coverage      unit coverage 86.4% ≥ 80% required'));

    checkEvaluations(evidence, status, 30);
    assert.ok(evidence.metrics.evaluations.every((e) => e.verdict === 'pass' && e.reason === HEALTHY_REASON));
    assert.ok(evidence.metrics.canary.elapsedMs >= 30 * MINUTE);
    assert.equal(
      evidence.log.some((l) => l.startsWith('## Rollback')),
      false,
    );

    const { approval } = evidence;
    assert.equal(approval.kind, 'standard');
    assert.equal(approval.requestedBy, '@dev');
    assert.equal(approval.requiredApprovals, 1);
    assert.equal(approval.approvals.length, 1);
    checkApproval(approval.approvals[0]!, '@alice', 'slack', 'canary');
    assert.equal(approval.approvals[0]!.note, 'load test numbers look fine');
    assert.equal(approval.rejection, null);
    assert.ok(
      Date.parse(approval.approvals[0]!.at) < Date.parse(evidence.metrics.canary.startedAt),
      'approved before the canary started',
    );
  });
});

test('an automatic rollback: the breaching evaluation with its verdict and reason, and the rollback steps', async () => {
  await withHarness(env, { scenario: 'error-rate-regression' }, async (h) => {
    const { result, status } = await promote(h, 'v1.3.0');
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    const evidence = readEvidence(h, 'v1.3.0');

    assert.equal(evidence.log[3], `outcome: ROLLED_BACK — ${BREACH}; v1.0.0 still serves production`);
    checkTimeline(h, 'v1.3.0', evidence.log);
    // The regression starts at minute 12 of the canary: 11 passes, then one breach, which rolls back (failureLimit 1).
    checkEvaluations(evidence, status, 12);
    const evaluations = evidence.metrics.evaluations;
    assert.ok(evaluations.slice(0, 11).every((e) => e.verdict === 'pass'));
    const breach = evaluations[11]!;
    assert.equal(breach.verdict, 'rollback');
    assert.equal(breach.reason, BREACH);
    assert.equal(breach.canary.errorRatePct, 2.4);
    assert.deepEqual(
      breach.checks.find((c) => c.check === 'error-rate'),
      { check: 'error-rate', outcome: 'breach', reason: `api-gateway: ${SERVICE_BREACH}` },
    );

    const rollback = section(evidence.log, 'Rollback');
    assert.equal(
      evidence.log.find((l) => l.startsWith('## Rollback')),
      `## Rollback: ${BREACH}`,
    );
    assert.equal(rollback.length, 3);
    assert.match(
      rollback[0]!,
      /^\S+Z {2}ok {4}send no requests to the canary: production: api-gateway 100\/0, orchestrator 100\/0, workers 100\/0$/,
    );
    assert.match(rollback[1]!, /^\S+Z {2}ok {4}remove the canary: canary removed from production$/);
    assert.match(
      rollback[2]!,
      /ok {4}confirm the stable version still serves: ✓ api-gateway: v1\.0\.0 \(healthy\), ✓ orchestrator: v1\.0\.0 \(healthy\), ✓ workers: v1\.0\.0 \(healthy\)$/,
    );

    checkApproval(evidence.approval.approvals[0]!, '@alice', 'slack', 'canary');
  });
});

test('a hotfix: both approvals with approver, channel and time, the dev gates only, 30 evaluations', async () => {
  await withHarness(env, { scenario: 'healthy' }, async (h) => {
    const handle = await h.start({ kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'], version: 'v1.2.4' });
    await handle.executeUpdate(approveUpdate, { args: [{ approver: '@bob', channel: 'cli' }] });
    await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'slack' }] });
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const status = await h.status(handle);
    const evidence = readEvidence(h, 'v1.2.4');

    assert.deepEqual(evidence.log.slice(0, 2), [
      '# Promotion log: v1.2.4 (hotfix)',
      `workflow: hotfix-v1.2.4   run: ${status.runId}`,
    ]);
    checkTimeline(h, 'v1.2.4', evidence.log);
    assert.deepEqual(
      section(evidence.log, 'Gates').map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
      ['PASS ci-checks', 'PASS unit-coverage', 'PASS security-findings', 'PASS code-review'],
      'the fast track checks the commit, and runs no staging suites',
    );
    checkEvaluations(evidence, status, 30);

    const { approval } = evidence;
    assert.equal(approval.kind, 'hotfix');
    assert.equal(approval.workflowId, 'hotfix-v1.2.4');
    assert.equal(approval.requiredApprovals, 2);
    assert.deepEqual(approval.asked, ['@alice', '@bob']);
    assert.equal(approval.approvals.length, 2);
    checkApproval(approval.approvals[0]!, '@bob', 'cli', 'hotfix');
    checkApproval(approval.approvals[1]!, '@alice', 'slack', 'hotfix');
    assert.ok(Date.parse(approval.approvals[0]!.at) <= Date.parse(approval.approvals[1]!.at));
  });
});

test('evidence is written as the release goes: the evaluations while the canary runs', async () => {
  await withHarness(env, { scenario: 'healthy' }, async (h) => {
    const handle = await h.start({ version: 'v1.2.7' });
    await h.waitForStage(handle, 'STAGING_SOAK');
    await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });

    await env.sleep(2 * 60 * MINUTE + 12 * MINUTE);
    const status = await h.status(handle);
    assert.equal(status.stage, 'CANARY');
    const written = readEvidence(h, 'v1.2.7').metrics.evaluations.length;
    assert.ok(
      written >= 5 && written <= status.canary.evaluations.length,
      `${written} of ${status.canary.evaluations.length} evaluations in metrics.json mid-canary`,
    );
    assert.equal((await handle.result()).outcome, 'PROMOTED');
  });
});
