// The Slack gateway against a real Temporal dev server and a stand-in release workflow with the
// release's validators: signed button clicks and slash commands become Updates and queries, the
// verdict comes back through response_url, and nothing unsigned, stale, retried or double-clicked
// decides anything twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ACTION_IDS, ACTIONS_BLOCK_ID, renderNotification } from '../../src/shared/slack-blocks';
import type { NotificationAction } from '../../src/shared/notifications';
import { startSlackGateway, type RollbackRequest, type SlackGateway } from '../../src/client/slack/gateway';
import { NOT_MAPPED } from '../../src/client/slack/replies';
import { hotfixWorkflowId, releaseWorkflowId } from '../../src/shared/identifiers';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStage, ReleaseStatus } from '../../src/shared/release';
import {
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
  type ResponsePost,
} from '../helpers/fake-slack';
import { createDevEnv } from '../helpers/temporal-env';
import type { StubReleaseInput, stubReleaseWorkflow } from './stub-release-workflow';
import { eventually } from '../helpers/eventually';

const SECRET = 'test-signing-secret-0123456789abcdef';
const TASK_QUEUE = 'slack-gateway-test';
const USERS = { U0ALICE: '@alice', U0BOB: '@bob', U0CAROL: '@carol', U0MALLORY: '@mallory' };
const APPROVERS = ['@alice', '@bob', '@carol'];

void describe('Slack gateway', { timeout: 240_000 }, () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let slack: FakeSlack;
  let gateway: SlackGateway;
  const rollbacks: RollbackRequest[] = [];
  const logs: string[] = [];
  let responseSeq = 0;

  before(async () => {
    env = await createDevEnv();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./stub-release-workflow'),
    });
    workerRun = worker.run();
    slack = await startFakeSlack();
    gateway = await startSlackGateway({
      client: env.client,
      users: USERS,
      signingSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      slackApiBaseUrl: slack.apiBaseUrl,
      startRollback: (request) => {
        rollbacks.push(request);
        return Promise.resolve(
          `rolling ${request.environment} back to ${request.version ?? 'its previous version'} (rollback-${request.environment}-1)`,
        );
      },
      log: (line) => logs.push(line),
    });
  });

  after(async () => {
    await gateway?.stop();
    await slack?.stop();
    worker?.shutdown();
    await workerRun;
    await env?.teardown();
  });

  // ---- helpers ----

  async function startRelease(
    version: string,
    input: Partial<StubReleaseInput> = {},
  ): Promise<WorkflowHandle<typeof stubReleaseWorkflow>> {
    const kind = input.kind ?? 'standard';
    return env.client.workflow.start<typeof stubReleaseWorkflow>('stubReleaseWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: kind === 'hotfix' ? hotfixWorkflowId(version) : releaseWorkflowId(version),
      args: [{ version, kind, requestedBy: '@dave', approvers: APPROVERS, ...input }],
    });
  }

  const status = (handle: WorkflowHandle): Promise<ReleaseStatus> => handle.query(statusQuery);

  interface Sent {
    status: number;
    text: string;
    ms: number;
  }

  async function post(
    path: string,
    body: string,
    opts: { ts?: number; secret?: string; headers?: Record<string, string>; unsigned?: boolean } = {},
  ): Promise<Sent> {
    const signature = opts.unsigned
      ? {}
      : signSlackRequest(opts.secret ?? SECRET, body, opts.ts ?? Math.floor(Date.now() / 1000));
    const started = Date.now();
    const res = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signature, ...opts.headers },
      body,
    });
    return { status: res.status, text: await res.text(), ms: Date.now() - started };
  }

  /** A block_actions payload as Slack sends it for a click on a release message's button. */
  function click(opts: {
    user: string;
    action: NotificationAction;
    version: string;
    workflowId?: string;
    actionTs?: string;
    value?: string;
  }): { body: string; responseId: string } {
    const responseId = `r${++responseSeq}`;
    const workflowId = opts.workflowId ?? releaseWorkflowId(opts.version);
    const message = renderNotification({
      kind: 'approval-requested',
      workflowId,
      version: opts.version,
      releaseKind: workflowId.startsWith('hotfix-') ? 'hotfix' : 'standard',
      stage: 'AWAITING_APPROVAL',
      title: `${opts.version} is waiting for approval`,
      reason: 'staging soaked healthy for 2h',
      url: `http://localhost:8233/namespaces/default/workflows/${workflowId}`,
      threadTs: '1760000001.000001',
      actions: ['approve', 'reject'],
      asked: [],
      approvalProgress: '0 of 1 approval',
      gates: [],
    });
    const payload = {
      type: 'block_actions',
      user: { id: opts.user, username: opts.user.toLowerCase(), team_id: 'T0TEAM' },
      api_app_id: 'A0APP',
      token: 'legacy-verification-token',
      trigger_id: `trigger-${responseSeq}`,
      team: { id: 'T0TEAM', domain: 'example' },
      container: { type: 'message', message_ts: '1760000002.000002', channel_id: 'C0RELEASES', is_ephemeral: false },
      channel: { id: 'C0RELEASES', name: 'releases' },
      message: { type: 'message', ts: '1760000002.000002', text: message.text, blocks: message.blocks },
      response_url: slack.responseUrl(responseId),
      actions: [
        {
          type: 'button',
          action_id: ACTION_IDS[opts.action],
          block_id: ACTIONS_BLOCK_ID,
          text: { type: 'plain_text', text: opts.action },
          value: opts.value ?? JSON.stringify({ workflowId, version: opts.version }),
          action_ts: opts.actionTs ?? `1760000100.${String(responseSeq).padStart(6, '0')}`,
        },
      ],
    };
    return { body: `payload=${encodeURIComponent(JSON.stringify(payload))}`, responseId };
  }

  /** A slash command's form body, as Slack sends it. */
  function command(user: string, text: string): { body: string; responseId: string } {
    const responseId = `r${++responseSeq}`;
    return {
      body: slashCommandBody({
        user,
        text,
        responseUrl: slack.responseUrl(responseId),
        triggerId: `trigger-${responseSeq}`,
      }),
      responseId,
    };
  }

  const responsesTo = (id: string): ResponsePost[] => slack.responses.filter((r) => r.id === id);
  const texts = (posts: ResponsePost[]): string[] => posts.map((p) => String(p.body.text));
  const hasActionsBlock = (post: ResponsePost | undefined): boolean =>
    ((post?.body.blocks ?? []) as Array<{ block_id?: string }>).some((b) => b.block_id === ACTIONS_BLOCK_ID);

  // ---- tests ----

  void it('answers health checks', async () => {
    const res = await fetch(`${gateway.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  });

  void it("turns an approver's signed click into an accepted approval, confirms it and rewrites the message", async () => {
    const handle = await startRelease('v1.2.3');
    const { body, responseId } = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.3' });
    const sent = await post('/slack/interactions', body);
    assert.equal(sent.status, 200);
    assert.equal(sent.text, '', 'an interaction is acknowledged with an empty 200');
    assert.ok(sent.ms < 3000, `acknowledged in ${sent.ms} ms; Slack gives up after 3 s`);

    const [replaced, confirmation] = await slack.waitForResponses(responseId, 2);
    assert.equal(replaced?.body.replace_original, true);
    assert.match(
      JSON.stringify(replaced?.body.blocks),
      /Approved\* by @alice \(<@U0ALICE>\) via Slack at <!date\^\d+\^/,
    );
    assert.equal(hasActionsBlock(replaced), false, 'a settled approval takes the buttons away');
    assert.equal(confirmation?.body.response_type, 'ephemeral');
    assert.equal(confirmation?.body.replace_original, false);
    assert.equal(
      confirmation?.body.text,
      '✅ Approved v1.2.3: approved: 1 of 1 approval (@alice); the canary starts when every other condition holds (stage AWAITING_APPROVAL)',
    );

    const s = await status(handle);
    assert.deepEqual(
      s.approval.approvals.map((a) => [a.approver, a.channel]),
      [['@alice', 'slack']],
    );
  });

  void it("shows a non-approver the validator's reason and leaves the release unchanged", async () => {
    const handle = await startRelease('v1.2.4');
    const { body, responseId } = click({ user: 'U0MALLORY', action: 'approve', version: 'v1.2.4' });
    assert.equal((await post('/slack/interactions', body)).status, 200);
    await gateway.idle();
    assert.deepEqual(texts(responsesTo(responseId)), [
      '🚫 Not approved: @mallory does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
    ]);
    assert.equal(responsesTo(responseId)[0]?.body.response_type, 'ephemeral');
    const s = await status(handle);
    assert.deepEqual(s.approval.approvals, []);
    assert.equal(s.stage, 'AWAITING_APPROVAL');
  });

  void it('refuses separation-of-duties violations with the reason', async () => {
    const handle = await startRelease('v1.2.9', { requestedBy: '@carol' });
    const { body, responseId } = click({ user: 'U0CAROL', action: 'approve', version: 'v1.2.9' });
    await post('/slack/interactions', body);
    await gateway.idle();
    assert.deepEqual(texts(responsesTo(responseId)), [
      '🚫 Not approved: @carol started this release and may not approve it (separation of duties)',
    ]);
    assert.deepEqual((await status(handle)).approval.approvals, []);
  });

  void it('tells an unmapped Slack user so, and does nothing', async () => {
    const handle = await startRelease('v1.2.5');
    const { body, responseId } = click({ user: 'U0STRANGER', action: 'approve', version: 'v1.2.5' });
    assert.equal((await post('/slack/interactions', body)).status, 200);
    await gateway.idle();
    assert.deepEqual(texts(responsesTo(responseId)), [NOT_MAPPED]);
    assert.deepEqual((await status(handle)).approval.approvals, []);
  });

  void it('answers 401 to stale, forged, unsigned or altered requests, and does nothing', async () => {
    const handle = await startRelease('v1.2.7');
    const nowS = Math.floor(Date.now() / 1000);
    const attempts: Array<[string, () => Promise<Sent>]> = [];
    const stale = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.7' });
    attempts.push(['stale (6 minutes old)', () => post('/slack/interactions', stale.body, { ts: nowS - 6 * 60 })]);
    const forged = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.7' });
    attempts.push([
      'signed with another secret',
      () => post('/slack/interactions', forged.body, { secret: 'not-the-secret' }),
    ]);
    const unsigned = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.7' });
    attempts.push(['unsigned', () => post('/slack/interactions', unsigned.body, { unsigned: true })]);
    const altered = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.7' });
    const sig = signSlackRequest(SECRET, altered.body.replace('U0ALICE', 'U0BOB0'), nowS);
    attempts.push([
      'body altered after signing',
      () => post('/slack/interactions', altered.body, { unsigned: true, headers: sig }),
    ]);
    const badCommand = command('U0ALICE', 'approve v1.2.7');
    attempts.push(['stale slash command', () => post('/slack/commands', badCommand.body, { ts: nowS - 301 })]);

    for (const [what, attempt] of attempts) {
      const res = await attempt();
      assert.equal(res.status, 401, what);
    }
    await gateway.idle();
    for (const r of [stale, forged, unsigned, altered, badCommand]) assert.deepEqual(responsesTo(r.responseId), []);
    assert.deepEqual((await status(handle)).approval.approvals, []);
    assert.ok(
      logs.some((l) =>
        /refused an unsigned or badly signed request to \/slack\/interactions: the request timestamp is 36\d s old/.test(
          l,
        ),
      ),
    );
  });

  void it('approves once despite Slack\'s retried delivery and double clicks, showing repeats as "already approved"', async () => {
    const handle = await startRelease('v1.2.6');
    const first = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.6', actionTs: '1760000200.000001' });
    assert.equal((await post('/slack/interactions', first.body)).status, 200);
    // Slack re-sends the very same payload (freshly signed) when it thinks the first went unanswered.
    const retried = await post('/slack/interactions', first.body, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    assert.equal(retried.status, 200);
    await gateway.idle();
    assert.equal(responsesTo(first.responseId).length, 2, 'the retry produced no second reply');

    // A double click: two clicks, arriving together, each with its own action_ts and response_url.
    const second = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.6', actionTs: '1760000201.000001' });
    const third = click({ user: 'U0ALICE', action: 'approve', version: 'v1.2.6', actionTs: '1760000201.000002' });
    await Promise.all([post('/slack/interactions', second.body), post('/slack/interactions', third.body)]);
    await gateway.idle();

    const s = await status(handle);
    assert.equal(s.approval.approvals.length, 1);
    assert.equal(s.approval.approvals[0]?.approver, '@alice');
    for (const again of [second, third]) {
      const [reply, ...more] = texts(responsesTo(again.responseId));
      assert.deepEqual(more, []);
      assert.match(reply ?? '', /^☑️ @alice already approved v1\.2\.6 \(at .+ via slack\); nothing more to do$/);
    }
    assert.ok(
      logs.some((l) => l === "dropped a repeated delivery of U0ALICE's approve click (Slack retry 1: http_timeout)"),
    );
  });

  void it("approves once when a double click's two requests race each other", async () => {
    const handle = await startRelease('v1.2.8');
    const clicks = [
      click({ user: 'U0BOB', action: 'approve', version: 'v1.2.8', actionTs: '1760000300.000001' }),
      click({ user: 'U0BOB', action: 'approve', version: 'v1.2.8', actionTs: '1760000300.000002' }),
    ];
    const sent = await Promise.all(clicks.map((c) => post('/slack/interactions', c.body)));
    assert.deepEqual(
      sent.map((r) => r.status),
      [200, 200],
    );
    await gateway.idle();
    assert.deepEqual(
      (await status(handle)).approval.approvals.map((a) => a.approver),
      ['@bob'],
    );
    const replies = clicks.map((c) => responsesTo(c.responseId));
    const kinds = replies
      .map((posts) => {
        const verdicts = posts.filter((p) => p.body.replace_original !== true).map((p) => String(p.body.text));
        assert.equal(verdicts.length, 1, JSON.stringify(verdicts));
        const [text = ''] = verdicts;
        return /^✅ Approved v1\.2\.8/.test(text)
          ? 'accepted'
          : /^☑️ @bob already approved v1\.2\.8/.test(text)
            ? 'repeat'
            : text;
      })
      .sort();
    assert.deepEqual(kinds, ['accepted', 'repeat']);
    assert.equal(
      replies.flat().filter((p) => p.body.replace_original === true).length,
      1,
      'only the accepted click rewrites the message',
    );
  });

  void it('keeps the buttons on a hotfix until its second approver has approved', async () => {
    const handle = await startRelease('v2.0.1', { kind: 'hotfix', required: 2, asked: ['@alice', '@bob'] });
    const byAlice = click({
      user: 'U0ALICE',
      action: 'approve',
      version: 'v2.0.1',
      workflowId: hotfixWorkflowId('v2.0.1'),
    });
    await post('/slack/interactions', byAlice.body);
    const [aliceReplaced, aliceConfirmed] = await slack.waitForResponses(byAlice.responseId, 2);
    assert.equal(hasActionsBlock(aliceReplaced), true, 'the second approver still needs the buttons');
    assert.match(String(aliceConfirmed?.body.text), /approval recorded: 1 of 2 approvals \(@alice\); waiting for @bob/);

    const byBob = click({
      user: 'U0BOB',
      action: 'approve',
      version: 'v2.0.1',
      workflowId: hotfixWorkflowId('v2.0.1'),
    });
    await post('/slack/interactions', byBob.body);
    const [bobReplaced] = await slack.waitForResponses(byBob.responseId, 2);
    assert.equal(hasActionsBlock(bobReplaced), false);
    assert.deepEqual(
      (await status(handle)).approval.approvals.map((a) => a.approver),
      ['@alice', '@bob'],
    );
  });

  void it('resumes a paused canary from its button', async () => {
    const handle = await startRelease('v1.4.0', { stage: 'CANARY_PAUSED' });
    const { body, responseId } = click({ user: 'U0BOB', action: 'resume', version: 'v1.4.0' });
    await post('/slack/interactions', body);
    const [replaced, confirmation] = await slack.waitForResponses(responseId, 2);
    assert.match(JSON.stringify(replaced?.body.blocks), /Canary resumed\* by @bob/);
    assert.match(String(confirmation?.body.text), /^✅ Canary resumed v1\.4\.0: resuming the canary/);
    await waitForStage(handle, 'CANARY');
  });

  void it('rolls back a paused canary from its Rollback button; a later Resume click is refused with the reason', async () => {
    const handle = await startRelease('v1.4.1', { stage: 'CANARY_PAUSED' });
    const first = click({ user: 'U0ALICE', action: 'rollback', version: 'v1.4.1' });
    await post('/slack/interactions', first.body);
    const [replaced, confirmation] = await slack.waitForResponses(first.responseId, 2);
    assert.match(JSON.stringify(replaced?.body.blocks), /Canary rollback requested\* by @alice/);
    assert.match(String(confirmation?.body.text), /^✅ Canary rollback requested v1\.4\.1: rolling back the canary/);
    await waitForStage(handle, 'ROLLING_BACK');
    const second = click({ user: 'U0BOB', action: 'resume', version: 'v1.4.1' });
    await post('/slack/interactions', second.body);
    await gateway.idle();
    assert.match(
      texts(responsesTo(second.responseId))[0] ?? '',
      /Not resumed.*the canary is not paused \(stage ROLLING_BACK\)/,
    );
  });

  void it("does not let a button aim an Update at a workflow that is not the version's release", async () => {
    const { body, responseId } = click({
      user: 'U0ALICE',
      action: 'approve',
      version: 'v1.2.3',
      value: JSON.stringify({ workflowId: 'environment-production', version: 'v1.2.3' }),
    });
    await post('/slack/interactions', body);
    await gateway.idle();
    assert.match(
      texts(responsesTo(responseId))[0] ?? '',
      /^⚠️ This button does not name a release \(.*"environment-production" is not a release or hotfix of v1\.2\.3/,
    );
  });

  void it('/release status summarises the release', async () => {
    await startRelease('v1.3.0');
    const { body, responseId } = command('U0BOB', 'status v1.3.0');
    const sent = await post('/slack/commands', body);
    assert.equal(sent.status, 200);
    assert.deepEqual(JSON.parse(sent.text), {
      response_type: 'ephemeral',
      replace_original: false,
      text: '⏳ Working on it: /release status v1.3.0',
    });
    const [summary] = await slack.waitForResponses(responseId, 1);
    assert.equal(summary?.body.response_type, 'ephemeral');
    const text = String(summary?.body.text);
    assert.match(text, /^\*v1\.3\.0\* \(standard, release-v1\.3\.0\): \*AWAITING_APPROVAL\*$/m);
    assert.match(text, /^Waiting for: approval from a RELEASE_APPROVER$/m);
    assert.match(text, /^Approvals: 0 of 1 approval$/m);
    assert.match(text, /^Gates: 1 of 1 passed$/m);

    const missing = command('U0BOB', 'status v9.9.9');
    await post('/slack/commands', missing.body);
    const [notFound] = await slack.waitForResponses(missing.responseId, 1);
    assert.match(String(notFound?.body.text), /^🔍 no release or hotfix of v9\.9\.9 was found/);
  });

  void it('/release approve approves once; a repeat says already approved', async () => {
    const handle = await startRelease('v1.3.1');
    const approve = command('U0ALICE', 'approve v1.3.1 looks good');
    await post('/slack/commands', approve.body);
    const [accepted] = await slack.waitForResponses(approve.responseId, 1);
    assert.match(String(accepted?.body.text), /^✅ Approved v1\.3\.1: approved: 1 of 1 approval \(@alice\)/);
    const again = command('U0ALICE', 'approve v1.3.1');
    await post('/slack/commands', again.body);
    const [repeat] = await slack.waitForResponses(again.responseId, 1);
    assert.match(String(repeat?.body.text), /^☑️ @alice already approved v1\.3\.1/);
    const s = await status(handle);
    assert.deepEqual(
      s.approval.approvals.map((a) => [a.approver, a.channel, a.note]),
      [['@alice', 'slack', 'looks good']],
    );
  });

  void it('/release reject needs a reason, refuses non-approvers, and rejects with the reason', async () => {
    const handle = await startRelease('v1.3.2');
    const noReason = command('U0ALICE', 'reject v1.3.2');
    const sent = await post('/slack/commands', noReason.body);
    assert.match(
      (JSON.parse(sent.text) as { text: string }).text,
      /^a rejection needs a reason: reject v1\.3\.2 <why>\n\n\*\/release\* usage:/,
    );

    const byMallory = command('U0MALLORY', 'reject v1.3.2 I do not like it');
    await post('/slack/commands', byMallory.body);
    const [refused] = await slack.waitForResponses(byMallory.responseId, 1);
    assert.equal(
      refused?.body.text,
      '🚫 Not rejected: @mallory does not hold RELEASE_APPROVER, the role needed to reject a release',
    );

    const byBob = command('U0BOB', 'reject v1.3.2 e2e tests are flaky on checkout');
    await post('/slack/commands', byBob.body);
    const [rejected] = await slack.waitForResponses(byBob.responseId, 1);
    assert.match(
      String(rejected?.body.text),
      /^✅ Rejected v1\.3\.2: rejected: v1\.3\.2 will not be promoted \(e2e tests are flaky on checkout\)/,
    );
    await waitForStage(handle, 'REJECTED');
    assert.equal((await status(handle)).approval.rejection?.note, 'e2e tests are flaky on checkout');
    assert.equal(responsesTo(noReason.responseId).length, 0, 'a usage error is answered at once, nothing later');
  });

  void it('/release rollback starts the manual rollback as the mapped identity', async () => {
    const toVersion = command('U0ALICE', 'rollback production v1.2.2');
    await post('/slack/commands', toVersion.body);
    const [started] = await slack.waitForResponses(toVersion.responseId, 1);
    assert.equal(started?.body.text, '⏪ rolling production back to v1.2.2 (rollback-production-1)');
    const toPrevious = command('U0BOB', 'rollback production');
    await post('/slack/commands', toPrevious.body);
    await slack.waitForResponses(toPrevious.responseId, 1);
    assert.deepEqual(rollbacks, [
      { environment: 'production', version: 'v1.2.2', requestedBy: '@alice' },
      { environment: 'production', requestedBy: '@bob' },
    ]);
  });

  void it('answers unmapped users, help and typos at once, without acting', async () => {
    const stranger = command('U0STRANGER', 'approve v1.3.0');
    assert.equal(
      (JSON.parse((await post('/slack/commands', stranger.body)).text) as { text: string }).text,
      NOT_MAPPED,
    );
    const help = command('U0ALICE', '');
    assert.match(
      (JSON.parse((await post('/slack/commands', help.body)).text) as { text: string }).text,
      /^\*\/release\* usage:\n• `\/release status v1\.2\.3`/,
    );
    const typo = command('U0ALICE', 'aprove v1.3.0');
    assert.match(
      (JSON.parse((await post('/slack/commands', typo.body)).text) as { text: string }).text,
      /^unknown subcommand "aprove"/,
    );
    const badVersion = command('U0ALICE', 'approve 1.3.0');
    assert.match(
      (JSON.parse((await post('/slack/commands', badVersion.body)).text) as { text: string }).text,
      /^"1\.3\.0" is not a release version/,
    );
    await gateway.idle();
    for (const r of [stranger, help, typo, badVersion]) assert.deepEqual(responsesTo(r.responseId), []);
  });

  void it('sent Slack only well-formed replies', () => {
    assert.deepEqual(slack.invalidResponses, []);
  });

  async function waitForStage(handle: WorkflowHandle, stage: ReleaseStage): Promise<void> {
    await eventually(`${handle.workflowId} to be ${stage}`, async () => (await status(handle)).stage === stage, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  }
});
