// The Slack Notifier: each release gets one thread in the configured channel. Its first message
// starts the thread (the receipt carries that message's ts) and every later one is posted into it.
//
// Idempotency: the notify activity may be retried, and chat.postMessage has no idempotency key. A
// retry posts again only when the previous attempt's answer never arrived (timeout, connection
// reset after Slack accepted the post): then the thread may show the message twice, which is
// accepted over losing it. A 429 is not such a case: Slack posted nothing, and the call waits
// Retry-After and asks again inside the same attempt (see slack-api.ts), so it never double-posts.
import { z } from 'zod';
import type { Notifier } from '../ports';
import type { Notification, NotificationReceipt } from '../../shared/notifications';
import { SlackApi, slackErrorCode, type SlackApiOptions } from './slack-api';
import { renderNotification } from '../../shared/slack-blocks';

export interface SlackNotifierOptions {
  apiBaseUrl: string;
  /** Channel ID (C0123ABCD) or name the bot is a member of. */
  channel: string;
  /** Bot token (xoxb-…), read from the environment by the caller. Never logged. */
  token: string;
  /** Names the setting holding the token, for error messages. */
  tokenHint?: string;
  timeoutMs?: number;
  maxRetryAfterSeconds?: number;
  maxRateLimitedTries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Slack user ID per identity (the reverse of slack.users), so asked approvers are @-mentioned and notified. */
  mentions?: Record<string, string>;
}

const postedSchema = z.looseObject({ ok: z.literal(true), ts: z.string().min(1), channel: z.string().min(1) });

/** Answers meaning the thread's first message is gone (deleted, or the thread is unknown). */
const LOST_THREAD_CODES = new Set(['thread_not_found', 'invalid_thread_ts', 'message_not_found']);

export class SlackNotifier implements Notifier {
  private readonly api: SlackApi;
  private readonly channel: string;
  private readonly mentions: Record<string, string>;

  constructor(options: SlackNotifierOptions) {
    const { channel, mentions, ...apiOptions } = options;
    this.mentions = mentions ?? {};
    if (channel.trim() === '') throw new Error('the Slack notifier needs a channel (notifications.channel)');
    if (options.token.trim() === '')
      throw new Error(
        `the Slack notifier needs a bot token (${options.tokenHint ?? 'notifications.botTokenEnv'} is empty)`,
      );
    this.channel = channel;
    this.api = new SlackApi(apiOptions satisfies SlackApiOptions);
  }

  async send(notification: Notification): Promise<NotificationReceipt> {
    const message = renderNotification(notification, this.mentions);
    const body = {
      channel: this.channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
    };
    if (notification.threadTs === null) {
      const posted = await this.api.call('chat.postMessage', body, postedSchema);
      return { threadTs: posted.ts };
    }
    try {
      await this.api.call('chat.postMessage', { ...body, thread_ts: notification.threadTs }, postedSchema);
      return { threadTs: notification.threadTs };
    } catch (err) {
      // Someone deleted the thread's first message: start a new thread rather than failing every
      // later notification of the release. Slack posted nothing, so this cannot double-post.
      const code = slackErrorCode(err);
      if (code === null || !LOST_THREAD_CODES.has(code)) throw err;
      const posted = await this.api.call('chat.postMessage', body, postedSchema);
      return { threadTs: posted.ts };
    }
  }
}
