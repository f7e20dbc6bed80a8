// A small Slack Web API client: one JSON POST per method call, with every answer checked at the
// edge. What can go wrong is sorted by whether asking again can help:
// - network errors, timeouts, 5xx and Slack's own transient codes (internal_error, ...): a plain
//   Error or a retryable ApplicationFailure, so Temporal retries the activity;
// - HTTP 429: nothing was posted; the attempt fails retryably and Temporal tries again after the
//   Retry-After seconds (nextRetryDelay), rather than the activity sleeping;
// - `ok: false` for anything else (bad token, unknown channel, invalid blocks): a non-retryable
//   ApplicationFailure carrying Slack's error code and what to fix, because the answer won't change.
// The token is only ever put in the Authorization header: errors are rebuilt without the axios
// error (whose config holds the header), and messages never include it.
import { ApplicationFailure } from '@temporalio/common';
import { describeNetworkError, snippet } from '../../http/errors';
import { httpRequest, type RawResponse } from '../../http/request';
import { z } from 'zod';

export interface SlackApiOptions {
  /** e.g. https://slack.com/api/ (notifications.apiBaseUrl) */
  apiBaseUrl: string;
  /** Bot token (xoxb-…). Never logged. */
  token: string;
  /** Names the setting holding the token, for error messages (never the value). */
  tokenHint?: string;
  timeoutMs?: number;
}

export const SLACK_API_ERROR = 'SlackApiError';

const failureSchema = z.looseObject({
  ok: z.literal(false),
  error: z.string().min(1),
  response_metadata: z.looseObject({ messages: z.array(z.string()).optional() }).optional(),
});
const answerSchema = z.looseObject({ ok: z.boolean() });

/** Slack error codes that describe Slack's state rather than the request: asking again may work. */
const TRANSIENT_CODES = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

export class SlackApi {
  private readonly base: string;
  private readonly tokenHint: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: SlackApiOptions) {
    this.base = options.apiBaseUrl.endsWith('/') ? options.apiBaseUrl : `${options.apiBaseUrl}/`;
    this.tokenHint = options.tokenHint ?? 'notifications.botTokenEnv';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Calls `method` with a JSON body and returns the `ok: true` answer parsed with `schema`. */
  async call<T>(method: string, body: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    const url = new URL(method, this.base).toString();
    const where = `Slack ${method} (${this.base})`;
    let response: RawResponse;
    try {
      response = await httpRequest({
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${this.options.token}` },
        body: JSON.stringify(body),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      // The request may or may not have reached Slack: a retry of the activity can post twice.
      throw new Error(`${where} did not answer: ${describeNetworkError(err, this.timeoutMs)}`);
    }
    if (response.status === 429) {
      // Slack refused the call without acting on it, so asking again cannot post twice. Temporal
      // retries the activity when Slack says (nextRetryDelay), instead of the activity sleeping.
      const seconds = parseRetryAfter(response.headers['retry-after']);
      throw ApplicationFailure.create({
        message: `${where} is rate-limited (Retry-After ${seconds} s); nothing was posted, the activity will be retried then`,
        type: SLACK_API_ERROR,
        details: ['ratelimited'],
        nextRetryDelay: seconds * 1000,
      });
    }
    return this.judge(where, response.status, response.text, schema);
  }

  private judge<T>(where: string, status: number, text: string, schema: z.ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const message = `${where} answered HTTP ${status} with a body that is not JSON: ${snippet(text)}`;
      if (status >= 500 || status === 408) throw new Error(message);
      if (status === 404)
        throw ApplicationFailure.nonRetryable(
          `${message} (is notifications.apiBaseUrl right, like https://slack.com/api/?)`,
          SLACK_API_ERROR,
          'not_found',
        );
      throw ApplicationFailure.nonRetryable(message, SLACK_API_ERROR, 'malformed_response');
    }

    const failure = failureSchema.safeParse(json);
    if (failure.success) {
      const code = failure.data.error;
      const details = failure.data.response_metadata?.messages?.join('; ');
      const message = `${where} refused the call: ${code}${details ? ` (${details})` : ''}${hintFor(code, this.tokenHint)}`;
      if (TRANSIENT_CODES.has(code) || status >= 500)
        throw ApplicationFailure.retryable(message, SLACK_API_ERROR, code);
      throw ApplicationFailure.nonRetryable(message, SLACK_API_ERROR, code);
    }
    if (status >= 500) throw new Error(`${where} answered HTTP ${status}: ${snippet(text)}`);

    const answer = answerSchema.safeParse(json);
    const parsed = schema.safeParse(json);
    if (!answer.success || !answer.data.ok || !parsed.success || status < 200 || status >= 300) {
      const why = parsed.success ? `HTTP ${status}` : z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ');
      throw ApplicationFailure.nonRetryable(
        `${where} answered with something that is not a Slack success (${why}): ${snippet(text)}`,
        SLACK_API_ERROR,
        'malformed_response',
      );
    }
    return parsed.data;
  }
}

/** The Slack error code of a failure thrown by SlackApi, or null. */
export function slackErrorCode(err: unknown): string | null {
  if (!(err instanceof ApplicationFailure) || err.type !== SLACK_API_ERROR) return null;
  const code: unknown = err.details?.[0];
  return typeof code === 'string' ? code : null;
}

/** Retry-After is whole seconds in Slack's answers; an absent or odd value waits one second. */
function parseRetryAfter(value: string | undefined): number {
  const seconds = value === undefined ? NaN : Number(value.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : 1;
}

function hintFor(code: string, tokenHint: string): string {
  switch (code) {
    case 'not_authed':
    case 'invalid_auth':
    case 'token_revoked':
    case 'token_expired':
    case 'account_inactive':
      return `: check the bot token (${tokenHint})`;
    case 'missing_scope':
      return ': the Slack app needs the chat:write scope';
    case 'channel_not_found':
      return ': check notifications.channel (a channel ID like C0123ABCD) and that the bot can see the channel';
    case 'not_in_channel':
      return ': invite the bot to the channel (/invite @your-app)';
    case 'is_archived':
      return ': the channel is archived; set notifications.channel to a live one';
    case 'invalid_blocks':
    case 'invalid_blocks_format':
    case 'msg_too_long':
      return ": the message did not fit Slack's Block Kit rules (a bug in release-promote's rendering; please report it)";
    default:
      return '';
  }
}
