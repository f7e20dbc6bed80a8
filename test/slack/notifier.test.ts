// The Slack notifier against the fake Slack: threading, Block Kit shape and buttons, Slack's error
// codes, and rate limits (429 + Retry-After, retried by Temporal) without double posts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Notification } from '../../src/shared/notifications';
import { SlackNotifier } from '../../src/activities/notify/slack';
import { SlackApi } from '../../src/activities/notify/slack-api';
import { ACTION_IDS, ACTIONS_BLOCK_ID, VIEW_IN_TEMPORAL_ACTION_ID } from '../../src/shared/slack-blocks';
import { startFakeSlack, validateBlocks, type FakeSlack } from '../helpers/fake-slack';

const TOKEN = 'xoxb-test-token-not-a-secret';
const CHANNEL = 'C0RELEASES';

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'approval-requested',
    workflowId: 'release-v1.2.3',
    version: 'v1.2.3',
    releaseKind: 'standard',
    stage: 'AWAITING_APPROVAL',
    title: 'v1.2.3 is waiting for approval',
    reason: 'staging soaked healthy for 2h (24 checks); error rate < 1%',
    url: 'http://localhost:8233/namespaces/default/workflows/release-v1.2.3',
    threadTs: null,
    actions: ['approve', 'reject'],
    asked: [],
    approvalProgress: '0 of 1 approval',
    gates: [
      { gate: 'ci-checks', passed: true, reason: 'all 12 checks passed', evidence: 'https://ci.example.com/runs/1' },
      { gate: 'unit-coverage', passed: true, reason: 'coverage 84.2% ≥ 80%', evidence: null },
    ],
    ...overrides,
  };
}

interface ButtonLike {
  type: string;
  action_id: string;
  value?: string;
  url?: string;
}

function buttonsOf(blocks: unknown[] | null): ButtonLike[] {
  const out: ButtonLike[] = [];
  for (const block of (blocks ?? []) as Array<Record<string, unknown>>) {
    if (block.type === 'actions') out.push(...(block.elements as ButtonLike[]));
    if (block.type === 'section' && block.accessory) out.push(block.accessory as ButtonLike);
  }
  return out;
}

void describe('SlackNotifier', () => {
  let slack: FakeSlack;
  let notifier: SlackNotifier;

  before(async () => {
    slack = await startFakeSlack({ token: TOKEN });
  });
  after(async () => {
    await slack.stop();
  });
  beforeEach(() => {
    slack.calls.length = 0;
    slack.messages.length = 0;
    notifier = new SlackNotifier({ apiBaseUrl: slack.apiBaseUrl, channel: CHANNEL, token: TOKEN });
  });

  void it('starts a thread with the first message and posts later ones into it', async () => {
    const first = await notifier.send(
      notification({ kind: 'release-started', title: 'v1.2.3 started', actions: [], approvalProgress: null }),
    );
    assert.equal(slack.messages.length, 1);
    assert.equal(first.threadTs, slack.messages[0]?.ts);
    assert.equal(slack.messages[0]?.threadTs, null);

    const second = await notifier.send(notification({ threadTs: first.threadTs }));
    const third = await notifier.send(
      notification({ kind: 'approval-recorded', threadTs: first.threadTs, actions: [] }),
    );
    assert.equal(second.threadTs, first.threadTs);
    assert.equal(third.threadTs, first.threadTs);
    assert.deepEqual(
      slack.messages.map((m) => m.threadTs),
      [null, first.threadTs, first.threadTs],
    );
    for (const call of slack.calls) {
      assert.equal(call.method, 'chat.postMessage');
      assert.equal(call.headers.authorization, `Bearer ${TOKEN}`);
      assert.match(String(call.headers['content-type']), /^application\/json/);
      assert.equal(call.body.channel, CHANNEL);
      assert.equal(call.answer.ok, true);
    }
  });

  void it('mentions the asked hotfix approvers it knows, so Slack notifies them', async () => {
    const mentioning = new SlackNotifier({
      apiBaseUrl: slack.apiBaseUrl,
      channel: CHANNEL,
      token: TOKEN,
      mentions: { '@senior-eng': 'U0SENIOR' },
    });
    await mentioning.send(notification({ releaseKind: 'hotfix', asked: ['@senior-eng', '@team-lead'] }));
    const text = JSON.stringify(slack.calls[0]?.body.blocks);
    assert.match(text, /\*Asked\*: <@U0SENIOR>, @team-lead/);
  });

  void it('renders the release summary, gates, approval progress, a Temporal link and decision buttons', async () => {
    await notifier.send(notification());
    const [message] = slack.messages;
    assert.ok(message?.blocks);
    assert.deepEqual(validateBlocks(message.blocks), []);
    assert.equal(
      message.text,
      'v1.2.3 is waiting for approval: staging soaked healthy for 2h (24 checks); error rate < 1%',
    );

    const json = JSON.stringify(message.blocks);
    const blocks = message.blocks as Array<Record<string, unknown>>;
    assert.equal(blocks[0]?.type, 'header');
    assert.match(json, /v1\.2\.3 is waiting for approval/);
    assert.match(json, /error rate &lt; 1%/, 'mrkdwn control characters are escaped');
    assert.match(json, /\*Version\*\\nv1\.2\.3/);
    assert.match(json, /\*Kind\*\\nstandard/);
    assert.match(json, /\*Stage\*\\nAWAITING_APPROVAL/);
    assert.match(json, /2 of 2 passed/);
    assert.match(json, /<https:\/\/ci\.example\.com\/runs\/1\|evidence>/);
    assert.match(json, /\*Approvals\*: 0 of 1 approval/);

    const buttons = buttonsOf(message.blocks);
    const link = buttons.find((b) => b.action_id === VIEW_IN_TEMPORAL_ACTION_ID);
    assert.equal(link?.url, 'http://localhost:8233/namespaces/default/workflows/release-v1.2.3');
    const decisions = buttons.filter((b) => b.url === undefined);
    assert.deepEqual(
      decisions.map((b) => b.action_id),
      [ACTION_IDS.approve, ACTION_IDS.reject],
    );
    for (const b of decisions)
      assert.deepEqual(JSON.parse(b.value ?? ''), { workflowId: 'release-v1.2.3', version: 'v1.2.3' });
    assert.ok(blocks.some((b) => b.type === 'actions' && b.block_id === ACTIONS_BLOCK_ID));
  });

  void it('offers resume and roll back on a paused canary, and no action block when there is nothing to decide', async () => {
    await notifier.send(
      notification({
        kind: 'canary-paused',
        stage: 'CANARY_PAUSED',
        actions: ['resume', 'rollback'],
        approvalProgress: null,
        gates: [],
      }),
    );
    await notifier.send(
      notification({ kind: 'stage-changed', stage: 'CANARY', actions: [], approvalProgress: null, gates: [] }),
    );
    const [paused, changed] = slack.messages;
    assert.deepEqual(
      buttonsOf(paused?.blocks ?? null)
        .filter((b) => b.url === undefined)
        .map((b) => b.action_id),
      ['release_resume', 'release_rollback'],
    );
    assert.ok(!(changed?.blocks ?? []).some((b) => (b as { type: string }).type === 'actions'));
  });

  void it('keeps oversized texts within Block Kit limits instead of having the message refused', async () => {
    const long = 'x'.repeat(5000);
    await notifier.send(
      notification({
        title: `T${'i'.repeat(400)}`,
        reason: long,
        approvalProgress: long,
        gates: Array.from({ length: 7 }, (_, i) => ({
          gate: 'e2e-tests' as const,
          passed: i % 2 === 0,
          reason: long,
          evidence: null,
        })),
      }),
    );
    assert.equal(slack.messages.length, 1, JSON.stringify(slack.calls.at(-1)?.answer));
    assert.deepEqual(validateBlocks(slack.messages[0]?.blocks), []);
  });

  void it('starts a new thread when the first message of the thread is gone', async () => {
    const receipt = await notifier.send(notification({ threadTs: '1234567890.000001' }));
    assert.deepEqual(
      slack.calls.map((c) => c.answer.error ?? 'ok'),
      ['invalid_thread_ts', 'ok'],
    );
    assert.equal(slack.messages.length, 1);
    assert.equal(slack.messages[0]?.threadTs, null);
    assert.equal(receipt.threadTs, slack.messages[0]?.ts);
  });

  void it('a 429 fails the attempt at once, having posted nothing, and asks Temporal to try again after Retry-After', async () => {
    slack.rateLimit('chat.postMessage', 1, 120);
    const started = Date.now();
    await assert.rejects(notifier.send(notification()), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, false);
      assert.equal(Number(err.nextRetryDelay), 120_000, 'the retry waits what Slack asked for');
      assert.match(err.message, /rate-limited \(Retry-After 120 s\)/);
      assert.match(err.message, /nothing was posted/);
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'the activity does not sit out the wait itself');
    assert.equal(slack.messages.length, 0);
    // The retried attempt posts exactly once.
    await notifier.send(notification());
    assert.equal(slack.messages.length, 1);
    assert.deepEqual(
      slack.calls.slice(-2).map((c) => c.httpStatus),
      [429, 200],
    );
  });

  void it("turns ok:false into a non-retryable failure naming Slack's error code and the fix, without the token", async () => {
    const wrongToken = new SlackNotifier({
      apiBaseUrl: slack.apiBaseUrl,
      channel: CHANNEL,
      token: 'xoxb-wrong-secret-value',
      tokenHint: 'SLACK_BOT_TOKEN',
    });
    await assert.rejects(wrongToken.send(notification()), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /invalid_auth: check the bot token \(SLACK_BOT_TOKEN\)/);
      assert.doesNotMatch(err.message, /wrong-secret-value/);
      return true;
    });
    assert.throws(
      () => new SlackNotifier({ apiBaseUrl: slack.apiBaseUrl, channel: ' ', token: TOKEN }),
      /needs a channel \(notifications\.channel\)/,
    );
  });

  void it('the fake refuses what Slack refuses: malformed blocks, missing text, chat.update of an unknown message', async () => {
    const api = new SlackApi({ apiBaseUrl: slack.apiBaseUrl, token: TOKEN });
    const anyOk = z.looseObject({ ok: z.literal(true), ts: z.string() });
    const refused = async (method: string, body: Record<string, unknown>, code: RegExp) =>
      assert.rejects(
        api.call(method, body, anyOk),
        (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && code.test(err.message),
      );
    await refused('chat.postMessage', { channel: CHANNEL }, /: no_text$/);
    await refused(
      'chat.postMessage',
      {
        channel: CHANNEL,
        blocks: [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Go' } }] }],
      },
      /invalid_blocks \(.*action_id.*json-pointer:\/blocks\/0\/elements\/0\/action_id/,
    );
    await refused(
      'chat.postMessage',
      { channel: CHANNEL, blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      /no more than 50 items/,
    );
    await refused('chat.update', { channel: CHANNEL, ts: '1.000001', text: 'edited' }, /message_not_found/);
    const posted = await api.call('chat.postMessage', { channel: CHANNEL, text: 'first' }, anyOk);
    const updated = await api.call('chat.update', { channel: CHANNEL, ts: posted.ts, text: 'edited' }, anyOk);
    assert.equal(updated.ts, posted.ts);
    assert.deepEqual(
      slack.messages.map((m) => m.text),
      ['edited'],
    );
  });
});
