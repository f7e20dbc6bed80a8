// The whole Slack loop with the real release workflow on the real dev server: the worker's real
// SlackNotifier posts into a fake Slack, people click the buttons of the messages it actually posted
// (signed as Slack signs them), the gateway turns the clicks into Updates, and the release goes on.
// Durations are scaled down through the config (2 s soak, 3 s canary); everything else is production.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReleaseHandle } from '../../src/workflow-api';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SlackNotifier } from '../../src/activities/notify/slack';
import { ACTION_IDS, ACTIONS_BLOCK_ID } from '../../src/shared/slack-blocks';
import type { NotificationAction } from '../../src/shared/notifications';
import { startSlackGateway, COMMANDS_PATH, INTERACTIONS_PATH, type SlackGateway } from '../../src/client/slack/gateway';
import { startManualRollback } from '../../src/client/start-rollback';
import { createHarness, type Harness } from '../helpers/release-harness';
import {
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
  type PostedMessage,
  type ResponsePost,
} from '../helpers/fake-slack';
import { createDevEnv } from '../helpers/temporal-env';
import { eventually } from '../helpers/eventually';

const SECRET = 'loop-signing-secret-0123456789abcdef';
const TOKEN = 'xoxb-loop-test-token-not-a-secret';
const CHANNEL = 'C0RELEASES';
const USERS = { U0ALICE: '@alice', U0BOB: '@bob', U0CAROL: '@carol', U0MALLORY: '@mallory' };

interface Button {
  type: string;
  action_id: string;
  value?: string;
  text: { text: string };
}

/** The decision buttons of a message (its actions block), as a person sees them. */
function decisionButtons(blocks: unknown[] | null | undefined): Button[] {
  const block = ((blocks ?? []) as Array<{ type?: string; block_id?: string; elements?: Button[] }>).find(
    (b) => b.type === 'actions' && b.block_id === ACTIONS_BLOCK_ID,
  );
  return block?.elements ?? [];
}

void describe('Slack loop with the real release workflow', { timeout: 120_000 }, () => {
  let env: TestWorkflowEnvironment;
  let slack: FakeSlack;
  let h: Harness;
  let workerRun: Promise<void>;
  let gateway: SlackGateway;
  const gatewayLog: string[] = [];
  let seq = 0;

  before(async () => {
    env = await createDevEnv();
    slack = await startFakeSlack({ token: TOKEN });
    h = await createHarness(env, {
      notifier: new SlackNotifier({ apiBaseUrl: slack.apiBaseUrl, channel: CHANNEL, token: TOKEN }),
      config: {
        roles: { RELEASE_APPROVER: ['@alice', '@bob', '@carol'] },
        stages: {
          staging: { soak: '2s', healthCheckInterval: '1s' },
          canary: { minDuration: '3s', analysisInterval: '1s' },
        },
        slack: { users: USERS },
      },
    });
    workerRun = h.worker.run();
    gateway = await startSlackGateway({
      client: env.client,
      users: h.config.slack.users,
      signingSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      slackApiBaseUrl: slack.apiBaseUrl,
      startRollback: async (request) =>
        (await startManualRollback(env.client, h.config, { ...request, channel: 'slack' })).message,
      log: (line) => gatewayLog.push(line),
    });
  });

  after(async () => {
    await gateway?.stop();
    h?.worker.shutdown();
    await workerRun;
    await slack?.stop();
    await env?.teardown();
    await h?.cleanup();
  });

  // ---- what Slack would do ----

  async function signedPost(path: string, body: string): Promise<number> {
    const res = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRET, body) },
      body,
    });
    await res.text();
    return res.status;
  }

  /**
   * Clicks a button of `message` (as it currently looks to the person) as Slack user `user`: the
   * block_actions payload carries the message and the clicked button's own value. Returns the
   * response_url's id, where the gateway's answers arrive.
   */
  async function click(
    message: { ts: string; text: string | null; blocks: unknown[] | null },
    user: string,
    action: NotificationAction,
  ): Promise<string> {
    const button = decisionButtons(message.blocks).find((b) => b.action_id === ACTION_IDS[action]);
    assert.ok(button, `the message offers no ${action} button`);
    const responseId = `click-${++seq}`;
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T0TEAM' },
      api_app_id: 'A0APP',
      trigger_id: `trigger-${seq}`,
      team: { id: 'T0TEAM', domain: 'example' },
      container: { type: 'message', message_ts: message.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: 'releases' },
      message: { type: 'message', ts: message.ts, text: message.text ?? '', blocks: message.blocks ?? [] },
      response_url: slack.responseUrl(responseId),
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: ACTIONS_BLOCK_ID,
          text: button.text,
          value: button.value,
          action_ts: `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, '0')}`,
        },
      ],
    };
    assert.equal(await signedPost(INTERACTIONS_PATH, `payload=${encodeURIComponent(JSON.stringify(payload))}`), 200);
    return responseId;
  }

  /** Types `/release <text>` as `user`; resolves to the delayed (response_url) answer's text. */
  async function slash(user: string, text: string): Promise<string> {
    const responseId = `command-${++seq}`;
    const body = slashCommandBody({
      user,
      text,
      channel: CHANNEL,
      responseUrl: slack.responseUrl(responseId),
      triggerId: `trigger-${seq}`,
    });
    assert.equal(await signedPost(COMMANDS_PATH, body), 200);
    const [answer] = await slack.waitForResponses(responseId, 1);
    assert.equal(answer?.body.response_type, 'ephemeral');
    return String(answer?.body.text);
  }

  // ---- reading the fake Slack ----

  /** The messages posted about one release, in order. */
  const messagesOf = (workflowId: string): PostedMessage[] => {
    const first = slack.messages.find(
      (m) => m.threadTs === null && m.blocks !== null && JSON.stringify(m.blocks).includes(workflowId),
    );
    return first ? slack.messages.filter((m) => m === first || m.threadTs === first.ts) : [];
  };

  function waitForApprovalMessage(workflowId: string): Promise<PostedMessage> {
    return eventually(
      `an approval message for ${workflowId}`,
      () =>
        messagesOf(workflowId).find((m) => decisionButtons(m.blocks).some((b) => b.action_id === ACTION_IDS.approve)),
      { describe: () => `posted: ${slack.messages.map((m) => m.text).join(' | ')}` },
    );
  }

  /** Every message of the release after the first is in the first one's thread. */
  function assertOneThread(workflowId: string): PostedMessage[] {
    const messages = messagesOf(workflowId);
    assert.ok(messages.length >= 3, `${workflowId}: ${messages.length} messages`);
    const [first, ...later] = messages;
    assert.equal(first?.threadTs, null, 'the first message starts the thread');
    for (const m of later) assert.equal(m.threadTs, first?.ts, `"${m.text}" is in the release's thread`);
    // The notifier sent every later message with thread_ts (the fake refuses unknown ones).
    const posts = slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && JSON.stringify(c.body.blocks ?? '').includes(workflowId),
    );
    assert.ok(
      posts.every((c) => c.answer.ok === true),
      'Slack accepted every post',
    );
    return messages;
  }

  const texts = (posts: ResponsePost[]): string[] => posts.map((p) => String(p.body.text));
  const contextLines = (blocks: unknown): string =>
    ((blocks ?? []) as Array<{ type: string; elements?: Array<{ text?: string }> }>)
      .filter((b) => b.type === 'context')
      .flatMap((b) => b.elements?.map((e) => e.text ?? '') ?? [])
      .join('\n');

  // ---- the loop ----

  void it('standard release: approval message with buttons in the release thread → non-approver refused → approver clicks → PROMOTED', async () => {
    const started = Date.now();
    const handle: ReleaseHandle = await h.start({ version: 'v3.0.0', requestedBy: '@dev' });
    await h.waitForStage(handle, 'AWAITING_APPROVAL');
    const approval = await waitForApprovalMessage(handle.workflowId);

    assert.deepEqual(
      decisionButtons(approval.blocks).map((b) => [b.action_id, b.text.text, JSON.parse(b.value ?? '{}') as unknown]),
      [
        [ACTION_IDS.approve, 'Approve', { workflowId: 'release-v3.0.0', version: 'v3.0.0' }],
        [ACTION_IDS.reject, 'Reject', { workflowId: 'release-v3.0.0', version: 'v3.0.0' }],
      ],
    );
    assert.match(approval.text ?? '', /v3\.0\.0 needs approval for canary promotion/);
    assert.notEqual(approval.threadTs, null, 'the approval request is posted in the release thread');

    const statusLine = await slash('U0CAROL', 'status v3.0.0');
    assert.match(statusLine, /^\*v3\.0\.0\* \(standard, release-v3\.0\.0\): \*AWAITING_APPROVAL\*/);
    assert.match(statusLine, /Approvals: 0 of 1 approval/);

    // Someone without the role: the validator's reason, only to them; the release does not move.
    const refusedId = await click(approval, 'U0MALLORY', 'approve');
    await gateway.idle();
    const refused = slack.responses.filter((r) => r.id === refusedId);
    assert.deepEqual(texts(refused), [
      '🚫 Not approved: @mallory does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
    ]);
    assert.equal(refused[0]?.body.response_type, 'ephemeral');
    assert.equal(refused[0]?.body.replace_original, false);
    const unchanged = await h.status(handle);
    assert.equal(unchanged.stage, 'AWAITING_APPROVAL');
    assert.deepEqual(unchanged.approval.approvals, []);
    assert.ok(!h.notifications.some((n) => n.workflowId === handle.workflowId && n.kind === 'approval-recorded'));

    // An approver: the message is rewritten through response_url (buttons gone, who and when), and
    // the release goes on through the canary to production.
    const approvedId = await click(approval, 'U0ALICE', 'approve');
    const [replaced, confirmation] = await slack.waitForResponses(approvedId, 2);
    assert.equal(replaced?.body.replace_original, true);
    assert.deepEqual(
      decisionButtons(replaced?.body.blocks as unknown[]),
      [],
      'a settled approval takes the buttons away',
    );
    assert.match(
      contextLines(replaced?.body.blocks),
      /✅ \*Approved\* by @alice \(<@U0ALICE>\) via Slack at <!date\^\d+\^.*>: approved: 1 of 1 approval \(@alice\)/,
    );
    assert.equal(confirmation?.body.response_type, 'ephemeral');
    assert.match(
      String(confirmation?.body.text),
      /^✅ Approved v3\.0\.0: approved: 1 of 1 approval \(@alice\); the canary starts when every other condition holds \(stage AWAITING_APPROVAL\)$/,
    );

    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const final = await h.status(handle);
    assert.deepEqual(
      final.approval.approvals.map((a) => [a.approver, a.channel]),
      [['@alice', 'slack']],
    );
    assert.deepEqual(
      final.history.map((t) => t.to),
      ['DEPLOYING_STAGING', 'STAGING_SOAK', 'AWAITING_APPROVAL', 'CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
    );

    const thread = assertOneThread(handle.workflowId);
    const shown = thread.map((m) => m.text ?? '').join('\n');
    assert.match(shown, /v3\.0\.0 approved by @alice/);
    assert.match(shown, /AWAITING_APPROVAL → CANARY/);
    assert.match(shown, /v3\.0\.0 PROMOTED/);

    assert.match(
      await slash('U0CAROL', 'status v3.0.0'),
      /^\*v3\.0\.0\* \(standard, release-v3\.0\.0\): \*PROMOTED\*\nOutcome: PROMOTED/,
    );
    assert.deepEqual(slack.invalidResponses, [], 'every response_url post had a shape Slack accepts');
    console.log(`# standard loop: ${Date.now() - started} ms`);
  });

  void it('hotfix: both asked approvers get the buttons; first click → "1 of 2", second click → canary → PROMOTED', async () => {
    const started = Date.now();
    const handle: ReleaseHandle = await h.start({
      version: 'v3.0.1',
      requestedBy: '@dev',
      kind: 'hotfix',
      hotfixApprovers: ['@alice', '@bob'],
    });
    assert.equal(handle.workflowId, 'hotfix-v3.0.1');
    const approval = await waitForApprovalMessage(handle.workflowId);
    assert.deepEqual(
      decisionButtons(approval.blocks).map((b) => b.action_id),
      [ACTION_IDS.approve, ACTION_IDS.reject],
    );
    assert.match(contextLines(approval.blocks), /\*Asked\*: @alice, @bob/);
    assert.match(contextLines(approval.blocks), /0 of 2 approvals; waiting for @alice and @bob/);

    // First approver: recorded, 1 of 2; the message keeps its buttons for the second.
    const firstId = await click(approval, 'U0ALICE', 'approve');
    const [afterFirst, firstConfirmation] = await slack.waitForResponses(firstId, 2);
    assert.match(
      String(firstConfirmation?.body.text),
      /^✅ Approved v3\.0\.1: approval recorded: 1 of 2 approvals \(@alice\); waiting for @bob \(stage AWAITING_APPROVAL\)$/,
    );
    assert.equal(afterFirst?.body.replace_original, true);
    assert.equal(
      decisionButtons(afterFirst?.body.blocks as unknown[]).length,
      2,
      'the buttons stay while a second approval is needed',
    );
    assert.match(contextLines(afterFirst?.body.blocks), /Approved\* by @alice \(<@U0ALICE>\)/);
    assert.equal((await h.status(handle)).stage, 'AWAITING_APPROVAL');

    // The second approver clicks the message as it now looks (rewritten after the first click).
    const rewritten = {
      ts: approval.ts,
      text: String(afterFirst?.body.text),
      blocks: afterFirst?.body.blocks as unknown[],
    };
    const secondId = await click(rewritten, 'U0BOB', 'approve');
    const [afterSecond, secondConfirmation] = await slack.waitForResponses(secondId, 2);
    assert.match(
      String(secondConfirmation?.body.text),
      /^✅ Approved v3\.0\.1: approved: 2 of 2 approvals \(@alice, @bob\); the canary starts when every other condition holds/,
    );
    assert.deepEqual(decisionButtons(afterSecond?.body.blocks as unknown[]), [], 'no buttons once both approved');
    const lines = contextLines(afterSecond?.body.blocks);
    assert.match(lines, /Approved\* by @alice[\s\S]*Approved\* by @bob/, 'both decisions shown, in order');

    await h.waitForStage(handle, 'CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED');
    const result = await handle.result();
    assert.equal(result.outcome, 'PROMOTED', result.reason);
    const final = await h.status(handle);
    assert.deepEqual(
      final.approval.approvals.map((a) => [a.approver, a.channel, a.subject]),
      [
        ['@alice', 'slack', 'hotfix'],
        ['@bob', 'slack', 'hotfix'],
      ],
    );
    assert.deepEqual(
      final.history.map((t) => t.to),
      ['CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
    );
    assertOneThread(handle.workflowId);
    assert.match(await slash('U0ALICE', 'status v3.0.1'), /^\*v3\.0\.1\* \(hotfix, hotfix-v3\.0\.1\): \*PROMOTED\*/);
    assert.deepEqual(slack.invalidResponses, []);
    console.log(`# hotfix loop: ${Date.now() - started} ms`);
  });

  void it('/release rollback with a version that never ran there is refused by the rollback workflow, and nothing changes', async () => {
    const text = await slash('U0ALICE', 'rollback production v9.9.9');
    assert.match(
      text,
      /^⚠️ The rollback of production was not started: refused: v9\.9\.9 never ran in production \(or runs there now\)/,
    );
    assert.match(text, /versions you can roll back to: .*v3\.0\.0/);
  });
});
