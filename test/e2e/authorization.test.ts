// The installation owns the policy, and every action is authorized by it, on the real dev server:
// - the attack of a starter whose own config names another approver and looser rules;
// - every action × role cell through the CLI (spawned, as a person runs it) and through signed Slack
//   requests to the gateway: a holder of the role may, anyone else is refused naming the role;
// - a decision on a release that has ended exits 2 with its outcome.
// The installation (the workers' config): @alice and @bob hold RELEASE_APPROVER; @oncall holds
// RELEASE_OPERATOR, the role this installation names for rollback, cancel and update-sot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { runProcess, type Run } from '../helpers/processes';
import { runCliInProcess } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/release-harness';
import { signSlackRequest, slashCommandBody, startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { startSlackGateway, COMMANDS_PATH, type SlackGateway } from '../../src/client/slack/gateway';
import { startManualRollback } from '../../src/client/start-rollback';
import { policyDigest } from '../../src/config/policy-digest';
import { releasePolicy } from '../../src/config/load';
import { environmentRecordsQuery } from '../../src/shared/ledger';
import { statusQuery } from '../../src/shared/messages';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import type { ReleaseStatus } from '../../src/shared/release';
import type { AuditEntry } from '../../src/shared/audit';
import { ReleasePromotion, workflowHandle } from '../../src/workflow-api';
import { eventually } from '../helpers/eventually';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');
const SECRET = 'authorization-signing-secret-0123456789';
const ROLES = { RELEASE_APPROVER: ['@alice', '@bob'], RELEASE_OPERATOR: ['@oncall'] };
const PERMISSIONS = { rollback: 'RELEASE_OPERATOR', cancel: 'RELEASE_OPERATOR', 'update-sot': 'RELEASE_OPERATOR' };
const SLACK_USERS = { U0ALICE: '@alice', U0BOB: '@bob', U0ONCALL: '@oncall', U0MALLORY: '@mallory' };
const STAGES = {
  staging: { soak: '2s', healthCheckInterval: '1s', maxTotalSoak: '1m' },
  canary: { minDuration: '3s', analysisInterval: '1s' },
};
const COMMIT = 'abc1234def5678';

describe('the installation owns the policy; every action is authorized on every channel', { timeout: 600_000 }, () => {
  let env: TestWorkflowEnvironment;
  let healthy: Harness;
  /** A second installation's worker whose canary P99 regresses at minute 5: for paused-canary decisions. */
  let slow: Harness;
  const running: Array<Promise<void>> = [];
  let slack: FakeSlack;
  let gateway: SlackGateway;
  let seq = 0;

  before(async () => {
    env = await createDevEnv();
    const common = { roles: ROLES, permissions: PERMISSIONS, stages: STAGES, slack: { users: SLACK_USERS } };
    healthy = await createHarness(env, { config: common });
    // Scenario minutes pass in seconds (timeScale 60): the P99 regression comes 5 s into the canary.
    slow = await createHarness(env, {
      scenario: 'latency-regression',
      config: {
        ...common,
        stages: { ...STAGES, canary: { minDuration: '2m', analysisInterval: '1s' } },
        simulation: { scenario: 'latency-regression', timeScale: 60 },
      },
    });
    running.push(healthy.worker.run(), slow.worker.run());
    slack = await startFakeSlack({});
    gateway = await startSlackGateway({
      client: env.client,
      users: SLACK_USERS,
      signingSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      slackApiBaseUrl: slack.apiBaseUrl,
      startRollback: async (request) =>
        (await startManualRollback(env.client, healthy.config, { ...request, channel: 'slack' })).message,
      log: () => undefined,
    });
  });

  after(async () => {
    await gateway?.stop();
    healthy?.worker.shutdown();
    slow?.worker.shutdown();
    await Promise.allSettled(running);
    await healthy?.cleanup();
    await slow?.cleanup();
    await slack?.stop();
    await env?.teardown();
  });

  /** The client's own config: where Temporal's task queue is, and nothing else of the policy. */
  function clientConfig(h: Harness, name: string, extra: Record<string, unknown> = {}): string {
    const path = join(h.dir, name);
    writeFileSync(
      path,
      stringify({ temporal: { taskQueue: h.config.temporal.taskQueue }, records: h.config.records, ...extra }),
    );
    return path;
  }

  const cliEnv = (h: Harness) => ({
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_CONFIG_FILE: join(h.dir, 'none.toml'),
    RELEASE_PROMOTE_USER: '@dev',
  });
  /** `release-promote <args>` in a separate process, as a person at a terminal runs it. */
  function cliProcess(h: Harness, args: string[], config = clientConfig(h, 'client.yaml')): Promise<Run> {
    return runProcess(process.execPath, [BIN, '--config', config, ...args], {
      cwd: h.dir,
      env: { ...process.env, ...cliEnv(h) },
    });
  }
  /** The same command run in this process (the channel under test is the CLI's code, not node's start-up). */
  function cli(h: Harness, args: string[], config = clientConfig(h, 'client.yaml')): Promise<Run> {
    return runCliInProcess(['--config', config, ...args], cliEnv(h));
  }
  const ok = (r: Run, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  /** Refused: exit 2, one line on stderr naming the missing role. */
  const refused = (r: Run, expected: string) => {
    assert.equal(r.code, 2, `exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, `release-promote: refused: ${expected}\n`);
  };

  /** `/release <text>` typed in Slack by `user`, signed as Slack signs it; the answer's text. */
  async function slash(user: string, text: string): Promise<string> {
    const responseId = `command-${++seq}`;
    const body = slashCommandBody({ user, text, responseUrl: slack.responseUrl(responseId), triggerId: `t-${seq}` });
    const res = await fetch(`${gateway.url}${COMMANDS_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRET, body) },
      body,
    });
    assert.equal(res.status, 200);
    await res.text();
    const [answer] = await slack.waitForResponses(responseId, 1, 60_000);
    return String(answer?.body.text);
  }

  const release = (h: Harness, workflowId: string) => workflowHandle(h.client, ReleasePromotion, workflowId);
  const status = (h: Harness, workflowId: string) => release(h, workflowId).query(statusQuery);
  /** Until the canary has paused `times` times (a resumed canary whose P99 is still high pauses again). */
  async function pausedTimes(h: Harness, workflowId: string, times: number): Promise<void> {
    await eventually(
      `${workflowId} to pause ${times} times`,
      async () => {
        const s = await status(h, workflowId);
        return s.stage === 'CANARY_PAUSED' && s.history.filter((t) => t.to === 'CANARY_PAUSED').length >= times;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }
  const production = (h: Harness) =>
    h.client.workflow
      .getHandle(environmentWorkflowId('production', h.config.temporal.taskQueue))
      .query(environmentRecordsQuery);
  const auditOf = (h: Harness, version: string): AuditEntry[] =>
    readFileSync(join(h.config.records.auditDir, `${version}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);

  test("a starter's own config cannot loosen the policy: @mallory is refused, @alice approves, the installation's thresholds apply", async () => {
    const mine = clientConfig(healthy, 'mine.yaml', {
      roles: { RELEASE_APPROVER: ['@mallory'] },
      stages: {
        staging: { soak: '1s', healthCheckInterval: '1s' },
        canary: { thresholds: { maxErrorRateIncreasePp: 100 } },
      },
    });
    const started = await cliProcess(healthy, ['start', 'v2.1.0', '--commit', COMMIT, '--requested-by', '@dev'], mine);
    ok(started, 'start');
    const digest = policyDigest(releasePolicy(healthy.config, 'default'));
    assert.match(
      started.stdout,
      new RegExp(`^started release-v2\\.1\\.0 \\(run [0-9a-f-]+\\) under the installation's policy ${digest}: `),
    );
    assert.match(
      started.stderr,
      /^release-promote: note: your config's policy differs from the installation's, which applies: /,
    );
    assert.match(
      started.stderr,
      /access\.roles\.RELEASE_APPROVER \(yours \["@mallory"\], installation \["@alice","@bob"\]\)/,
    );
    assert.match(started.stderr, /canary\.thresholds\.maxErrorRateIncreasePp \(yours 100, installation 1\)/);
    assert.match(started.stderr, /soak\.durationMs \(yours 1000, installation 2000\)/);

    refused(
      await cliProcess(healthy, ['approve', 'v2.1.0', '--approver', '@mallory'], mine),
      '@mallory does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
    );
    const json = JSON.parse((await cli(healthy, ['status', 'v2.1.0', '--json'], mine)).stdout) as ReleaseStatus;
    assert.equal(json.policyDigest, digest);
    assert.equal(json.policy.canary.thresholds.maxErrorRateIncreasePp, 1);
    assert.equal(json.policy.soak.durationMs, 2000);
    assert.deepEqual(json.policy.access.roles.RELEASE_APPROVER, ['@alice', '@bob']);
    const shown = (await cli(healthy, ['status', 'v2.1.0'], mine)).stdout;
    assert.match(shown, new RegExp(`policy +${digest} \\(the installation's`));
    assert.match(
      shown,
      /rules +soak 2s; canary 10% for 3s; error rate < \+1 pp, P99 < \+10%, availability ≥ 99\.9%; approvers: RELEASE_APPROVER \(@alice, @bob\)/,
    );

    ok(await cli(healthy, ['approve', 'v2.1.0', '--approver', '@alice'], mine), 'approve by @alice');
    assert.equal((await release(healthy, 'release-v2.1.0').result()).outcome, 'PROMOTED');
    // The audit trail: the canary promotion carries its approver, in the seed's words.
    const canary = auditOf(healthy, 'v2.1.0').find((e) => e.action === 'promote' && e.to_stage === 'canary');
    assert.deepEqual(
      [canary?.from_stage, canary?.approved_by, canary?.internal_stage],
      ['staging', '@alice', 'CANARY'],
    );
  });

  test('a decision on an ended release exits 2 with its outcome, whoever sends it', async () => {
    const promoted = await cli(healthy, ['approve', 'v2.1.0', '--approver', '@bob']);
    assert.equal(promoted.code, 2);
    assert.match(
      promoted.stderr,
      /^release-promote: v2\.1\.0 ended PROMOTED at \d{4}-\d\d-\d\dT[\d:.]+Z: v2\.1\.0 serves 100% of production: .*\n$/,
    );

    ok(await cli(healthy, ['start', 'v2.2.0', '--commit', COMMIT]), 'start v2.2.0');
    ok(await cli(healthy, ['reject', 'v2.2.0', '--approver', '@bob', '--reason', 'wrong build']), 'reject');
    await release(healthy, 'release-v2.2.0').result();
    for (const args of [
      ['approve', 'v2.2.0', '--approver', '@alice'],
      ['reject', 'v2.2.0', '--approver', '@alice', '--reason', 'again'],
      ['abort', 'v2.2.0', '--approver', '@alice'],
      ['cancel', 'v2.2.0', '--requested-by', '@oncall'],
    ]) {
      const r = await cli(healthy, args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(
        r.stderr,
        /^release-promote: v2\.2\.0 ended REJECTED at \S+Z: rejected by @bob via cli: wrong build\n$/,
        args.join(' '),
      );
    }
    assert.match(
      await slash('U0ALICE', 'approve v2.2.0'),
      /^🏁 v2\.2\.0 ended REJECTED at \S+Z: rejected by @bob via cli: wrong build$/,
    );
  });

  test('every action × role through the CLI: the holder may, anyone else is refused naming the role', async () => {
    // approve / reject (RELEASE_APPROVER)
    ok(await cli(healthy, ['start', 'v2.3.0', '--commit', COMMIT]), 'start v2.3.0');
    refused(
      await cli(healthy, ['approve', 'v2.3.0', '--approver', '@oncall']),
      '@oncall does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
    );
    ok(await cli(healthy, ['approve', 'v2.3.0', '--approver', '@alice']), 'approve');
    ok(await cli(healthy, ['start', 'v2.4.0', '--commit', COMMIT]), 'start v2.4.0');
    refused(
      await cli(healthy, ['reject', 'v2.4.0', '--approver', '@oncall', '--reason', 'no']),
      '@oncall does not hold RELEASE_APPROVER, the role needed to reject a release',
    );
    ok(await cli(healthy, ['reject', 'v2.4.0', '--approver', '@bob', '--reason', 'no']), 'reject');
    // cancel (RELEASE_OPERATOR here)
    ok(await cli(healthy, ['start', 'v2.6.0', '--commit', COMMIT]), 'start v2.6.0');
    refused(
      await cli(healthy, ['cancel', 'v2.6.0', '--requested-by', '@alice']),
      '@alice does not hold RELEASE_OPERATOR, the role needed to cancel a release',
    );
    ok(await cli(healthy, ['cancel', 'v2.6.0', '--requested-by', '@oncall', '--reason', 'superseded']), 'cancel');
    const cancelled = await release(healthy, 'release-v2.6.0').result();
    assert.equal(cancelled.outcome, 'CANCELLED');
    assert.match(cancelled.reason, /^cancelled by @oncall via cli \(superseded\) during /);
    assert.ok(auditOf(healthy, 'v2.6.0').some((e) => e.action === 'cancel' && e.approved_by === '@oncall'));
    // hotfix approval (RELEASE_APPROVER)
    ok(
      await cli(healthy, [
        'hotfix',
        'v2.5.0',
        '--commit',
        COMMIT,
        '--skip-staging',
        '--approver1',
        '@alice',
        '--approver2',
        '@bob',
      ]),
      'hotfix',
    );
    refused(
      await cli(healthy, ['approve', 'v2.5.0', '--approver', '@oncall']),
      '@oncall does not hold RELEASE_APPROVER, the role needed to approve a hotfix',
    );
    ok(await cli(healthy, ['approve', 'v2.5.0', '--approver', '@alice']), 'hotfix approval 1');
    ok(await cli(healthy, ['approve', 'v2.5.0', '--approver', '@bob']), 'hotfix approval 2');
    assert.equal((await release(healthy, 'hotfix-v2.5.0').result()).outcome, 'PROMOTED');
    assert.equal((await release(healthy, 'release-v2.3.0').result()).outcome, 'PROMOTED');

    // rollback (RELEASE_OPERATOR): refused before anything changes, with the role named
    const before = await production(healthy);
    refused(
      await cli(healthy, ['rollback', 'production', '--requested-by', '@alice']),
      '@alice does not hold RELEASE_OPERATOR, the role needed to roll back an environment',
    );
    assert.deepEqual((await production(healthy)).current, before.current);
    const rolledBack = await cli(healthy, ['rollback', 'production', '--requested-by', '@oncall']);
    ok(rolledBack, 'rollback');
    // v2.3.0 and the hotfix v2.5.0 reached production in either order: the rollback goes to the other one.
    const current = before.current?.version;
    const other = current === 'v2.5.0' ? 'v2.3.0' : 'v2.5.0';
    assert.match(
      rolledBack.stdout,
      new RegExp(`^rolling back production from ${current} to ${other} \\(rollback-production-`),
    );
    // update-sot (RELEASE_OPERATOR)
    refused(
      await cli(healthy, ['update-sot', 'v2.5.0', '--environment', 'production', '--promoted-by', '@alice']),
      '@alice does not hold RELEASE_OPERATOR, the role needed to record a version by hand (update-sot)',
    );
    refused(
      await cli(healthy, ['update-sot', 'v2.5.0', '--environment', 'prod', '--promoted-by', '@oncall']),
      'unknown environment "prod" (the installation defines: staging, production)',
    );
    const recorded = await cli(healthy, [
      'update-sot',
      'v2.5.0',
      '--environment',
      'production',
      '--promoted-by',
      '@oncall',
    ]);
    ok(recorded, 'update-sot');
    assert.match(recorded.stdout, /^production: v2\.5\.0 recorded by hand by @oncall at \S+ \(revision \d+\)\n$/);
    const records = await production(healthy);
    assert.deepEqual(
      [records.current?.version, records.current?.action, records.current?.promotedBy],
      ['v2.5.0', 'manual', '@oncall'],
    );
    // Refusals are audited too: who asked, for what, and why not.
    const rollbackTrail = readFileSync(join(healthy.config.records.auditDir, 'rollbacks.jsonl'), 'utf8');
    assert.match(rollbackTrail, /"action":"refuse".*"approved_by":"@alice".*does not hold RELEASE_OPERATOR/);
    assert.ok(
      auditOf(healthy, 'v2.5.0').some(
        (e) => e.action === 'record_version' && e.approved_by === '@oncall' && e.to_stage === 'production',
      ),
    );

    // resume / abort on a paused canary (RELEASE_APPROVER)
    const slowVersion = 'v3.1.0';
    ok(await cli(slow, ['start', slowVersion, '--commit', COMMIT]), 'start slow');
    ok(await cli(slow, ['approve', slowVersion, '--approver', '@alice']), 'approve slow');
    await pausedTimes(slow, `release-${slowVersion}`, 1);
    refused(
      await cli(slow, ['resume', slowVersion, '--approver', '@oncall']),
      '@oncall does not hold RELEASE_APPROVER, the role needed to resume a paused canary',
    );
    ok(await cli(slow, ['resume', slowVersion, '--approver', '@alice']), 'resume');
    await pausedTimes(slow, `release-${slowVersion}`, 2);
    refused(
      await cli(slow, ['abort', slowVersion, '--approver', '@oncall']),
      '@oncall does not hold RELEASE_APPROVER, the role needed to roll back a paused canary',
    );
    ok(await cli(slow, ['abort', slowVersion, '--approver', '@bob']), 'abort');
    assert.equal((await release(slow, `release-${slowVersion}`).result()).outcome, 'ROLLED_BACK');
  });

  test('every action × role through signed Slack requests, /release rollback by a non-holder included', async () => {
    const start = async (h: Harness, version: string, o: Record<string, unknown> = {}) =>
      h.start({ version, commitSha: COMMIT, requestedBy: '@dev', ...o });
    // approve / reject
    const a = await start(healthy, 'v4.1.0');
    assert.equal(
      await slash('U0ONCALL', 'approve v4.1.0'),
      '🚫 Not approved: @oncall does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
    );
    assert.match(
      await slash('U0ALICE', 'approve v4.1.0'),
      /^✅ Approved v4\.1\.0: approved: 1 of 1 approval \(@alice\)/,
    );
    const b = await start(healthy, 'v4.2.0');
    assert.equal(
      await slash('U0ONCALL', 'reject v4.2.0 not today'),
      '🚫 Not rejected: @oncall does not hold RELEASE_APPROVER, the role needed to reject a release',
    );
    assert.match(
      await slash('U0BOB', 'reject v4.2.0 not today'),
      /^✅ Rejected v4\.2\.0: rejected: v4\.2\.0 will not be promoted \(not today\)/,
    );
    assert.equal((await b.result()).outcome, 'REJECTED');
    // cancel
    const c = await start(healthy, 'v4.3.0');
    assert.equal(
      await slash('U0ALICE', 'cancel v4.3.0'),
      '🚫 Not cancelled: @alice does not hold RELEASE_OPERATOR, the role needed to cancel a release',
    );
    assert.match(
      await slash('U0ONCALL', 'cancel v4.3.0 wrong branch'),
      /^✅ Cancellation requested v4\.3\.0: cancelling v4\.3\.0/,
    );
    assert.equal((await c.result()).outcome, 'CANCELLED');
    // hotfix approval
    const hf = await start(healthy, 'v4.4.0', { kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'] });
    assert.equal(
      await slash('U0ONCALL', 'approve v4.4.0'),
      '🚫 Not approved: @oncall does not hold RELEASE_APPROVER, the role needed to approve a hotfix',
    );
    assert.match(
      await slash('U0BOB', 'approve v4.4.0'),
      /^✅ Approved v4\.4\.0: approval recorded: 1 of 2 approvals \(@bob\)/,
    );
    assert.match(await slash('U0ALICE', 'approve v4.4.0'), /^✅ Approved v4\.4\.0: approved: 2 of 2 approvals/);
    assert.equal((await a.result()).outcome, 'PROMOTED');
    assert.equal((await hf.result()).outcome, 'PROMOTED');
    // rollback: a mapped Slack user without the role is refused and nothing changes
    const before = await production(healthy);
    assert.equal(
      await slash('U0ALICE', 'rollback production'),
      '⚠️ The rollback of production was not started: refused: @alice does not hold RELEASE_OPERATOR, the role needed to roll back an environment',
    );
    assert.equal(
      await slash('U0MALLORY', 'rollback production'),
      '⚠️ The rollback of production was not started: refused: @mallory does not hold RELEASE_OPERATOR, the role needed to roll back an environment',
    );
    assert.deepEqual((await production(healthy)).current, before.current);
    assert.match(
      await slash('U0ONCALL', 'rollback production v2.3.0'),
      new RegExp(
        `^⏪ rolling back production from ${before.current?.version ?? '?'} to v2\\.3\\.0 \\(rollback-production-`,
      ),
    );
    // resume / abort on a paused canary
    const p = await start(slow, 'v4.5.0');
    assert.match(await slash('U0ALICE', 'approve v4.5.0'), /^✅ Approved/);
    await pausedTimes(slow, p.workflowId, 1);
    assert.equal(
      await slash('U0ONCALL', 'resume v4.5.0'),
      '🚫 Not resumed: @oncall does not hold RELEASE_APPROVER, the role needed to resume a paused canary',
    );
    assert.match(await slash('U0BOB', 'resume v4.5.0'), /^✅ Canary resumed v4\.5\.0/);
    await pausedTimes(slow, p.workflowId, 2);
    assert.equal(
      await slash('U0ONCALL', 'abort v4.5.0'),
      '🚫 Not rolled back: @oncall does not hold RELEASE_APPROVER, the role needed to roll back a paused canary',
    );
    assert.match(await slash('U0ALICE', 'abort v4.5.0'), /^✅ Canary rollback requested v4\.5\.0/);
    assert.equal((await p.result()).outcome, 'ROLLED_BACK');
    const decided = await status(slow, 'release-v4.5.0');
    assert.deepEqual(
      decided.approval.approvals.map((x) => [x.approver, x.channel, x.subject]),
      [
        ['@alice', 'slack', 'canary'],
        ['@bob', 'slack', 'resume'],
        ['@alice', 'slack', 'rollback'],
      ],
    );
  });
});
