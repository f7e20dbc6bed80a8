// Answering through a payload's response_url (api.slack.com/interactivity/handling#message_
// responses): ephemeral replies to the person who acted, or a replacement of the original message.
//
// A response_url is a capability (anyone holding it may post into the conversation for 30 minutes),
// so it is never logged. It is only followed to Slack's hooks host, or to the configured Slack
// origin (a test fake, an enterprise proxy): a request with a valid signature is trusted, but this
// keeps a leaked signing secret from turning the gateway into a way to post anywhere.
import { setTimeout as delay } from 'node:timers/promises';
import { describeNetworkError } from '../../http/errors';
import { httpRequest } from '../../http/request';
import type { Block } from '../../shared/slack-blocks';

export interface ResponseMessage {
  text: string;
  blocks?: unknown[] | Block[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
}

export const SLACK_HOOKS_ORIGIN = 'https://hooks.slack.com';

export class ResponseUrlPoster {
  private readonly allowedOrigins: Set<string>;

  constructor(
    slackApiBaseUrl: string | undefined,
    private readonly timeoutMs = 10_000,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => delay(ms),
  ) {
    this.allowedOrigins = new Set([SLACK_HOOKS_ORIGIN]);
    if (slackApiBaseUrl !== undefined) this.allowedOrigins.add(new URL(slackApiBaseUrl).origin);
  }

  /** Posts `message`; one more try on a network error or 5xx, since a lost reply leaves the person guessing. */
  async post(responseUrl: string, message: ResponseMessage): Promise<void> {
    let origin: string;
    try {
      origin = new URL(responseUrl).origin;
    } catch {
      throw new Error("the payload's response_url is not a URL");
    }
    if (!this.allowedOrigins.has(origin)) {
      throw new Error(
        `the payload's response_url points at ${origin}, not at Slack (${[...this.allowedOrigins].join(', ')}); not answering there`,
      );
    }
    for (let tries = 1; ; tries++) {
      const outcome = await this.attempt(responseUrl, message);
      if (outcome === null) return;
      if (!outcome.transient) throw new Error(`Slack refused the reply (${outcome.problem})`);
      if (tries >= 2) throw new Error(`the reply could not be delivered to Slack (${outcome.problem})`);
      await this.sleep(1000);
    }
  }

  /** null when delivered; otherwise what went wrong and whether another try may help. */
  private async attempt(
    responseUrl: string,
    message: ResponseMessage,
  ): Promise<{ problem: string; transient: boolean } | null> {
    try {
      const response = await httpRequest({
        method: 'POST',
        url: responseUrl,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        timeoutMs: this.timeoutMs,
      });
      if (response.status >= 200 && response.status < 300) return null;
      // Slack answers a refused reply in plain text: expired_url, used_url, invalid_blocks, ...
      return {
        problem: `HTTP ${response.status}: ${response.text.slice(0, 200)}`,
        transient: response.status >= 500,
      };
    } catch (err) {
      return { problem: describeNetworkError(err, this.timeoutMs), transient: true };
    }
  }
}
