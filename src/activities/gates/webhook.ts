// Flagger-style test webhooks: the staging suites (E2E, load, security scan) are run by whatever
// the team already has, behind a URL. We POST what is being released; a 2xx answer means the suite
// passed, anything else that it failed, and the answer's body says why.
//
// Request:  POST <url>  {"name","version","commitSha","environment","phase"}  (JSON)
// Answer:   any 2xx = passed, any other status = failed. The body is the detail, trimmed to one
//           line; a JSON body {"detail": "...", "evidence": "https://..."} may give both explicitly.
// A hung suite (no answer within the webhook's timeout) and network errors are not verdicts: a suite
// that could not be asked has neither passed nor failed. Each activity attempt calls once; Temporal
// retries the activity (1 s, then 2 s later) up to `retries` more times, after which the suite's
// activity fails. One retry style: Temporal's, paced by nextRetryDelay.
import { ApplicationFailure } from '@temporalio/common';
import { describeNetworkError, oneLine } from '../../http/errors';
import { httpRequest } from '../../http/request';
import { z } from 'zod';
import type { webhookSchema } from '../../config/integrations-schema';
import type { SuiteOutcome } from '../../shared/gates';

export type WebhookConfig = z.output<typeof webhookSchema>;

export interface WebhookPayload {
  /** Which suite is asked: e2e-tests, load-tests or security-scan. */
  name: string;
  version: string;
  commitSha: string;
  environment: string;
  /** When in the promotion this runs; the staging suites run at "pre-rollout" (before production). */
  phase: string;
}

const detailBodySchema = z.object({ detail: z.string().optional(), evidence: z.string().url().optional() });

const MAX_DETAIL = 300;

/** Asks one suite; without a configured webhook the suite fails as "no <suite> webhook configured". */
export async function runSuiteWebhook(
  suite: string,
  hook: WebhookConfig | undefined,
  payload: WebhookPayload,
  attempt: number,
): Promise<SuiteOutcome> {
  if (hook === undefined) return { passed: false, detail: `no ${suite} webhook configured`, evidence: null };
  return callWebhook(suite, hook, payload, attempt);
}

/** One call; a suite that could not be asked is retried by Temporal, `hook.retries` times at most. */
export async function callWebhook(
  suite: string,
  hook: WebhookConfig,
  payload: WebhookPayload,
  attempt: number,
): Promise<SuiteOutcome> {
  try {
    return await callWebhookOnce(suite, hook, payload);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const last = attempt > hook.retries;
    throw ApplicationFailure.create({
      type: 'WebhookUnreachable',
      message: `${(err as Error).message} (attempt ${attempt} of ${hook.retries + 1})`,
      nonRetryable: last,
      nextRetryDelay: last ? undefined : 1_000 * 2 ** (attempt - 1),
    });
  }
}

async function callWebhookOnce(suite: string, hook: WebhookConfig, payload: WebhookPayload): Promise<SuiteOutcome> {
  const where = safeAddress(hook.url);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/plain, */*',
  };
  if (hook.authHeaderEnv !== undefined) {
    const value = process.env[hook.authHeaderEnv];
    // Retrying will not make a missing variable appear.
    if (value === undefined || value === '') {
      throw ApplicationFailure.nonRetryable(
        `the environment variable ${hook.authHeaderEnv} (authHeaderEnv of the ${suite} webhook) is not set on the worker`,
        'WebhookAuthMissing',
      );
    }
    headers.Authorization = value;
  }
  let status: number;
  let body: string;
  try {
    ({ status, text: body } = await httpRequest({
      method: 'POST',
      url: hook.url,
      headers,
      body: JSON.stringify(payload),
      timeoutMs: hook.timeout,
    }));
  } catch (err) {
    // A fresh Error: the AxiosError's config would carry the Authorization header.
    throw new Error(
      `the ${suite} webhook at ${where} could not be called: ${describeNetworkError(err, hook.timeout, "the webhook's timeout")}`,
    );
  }

  const passed = status >= 200 && status < 300;
  const { detail, evidence } = readBody(body);
  if (passed) return { passed, detail: detail ?? `HTTP ${status} from ${where}`, evidence };
  return { passed, detail: `HTTP ${status} from ${where}${detail === null ? '' : `: ${detail}`}`, evidence };
}

function readBody(body: string): { detail: string | null; evidence: string | null } {
  const text = oneLine(body);
  if (text === '') return { detail: null, evidence: null };
  try {
    const parsed = detailBodySchema.safeParse(JSON.parse(text));
    if (parsed.success && (parsed.data.detail !== undefined || parsed.data.evidence !== undefined)) {
      const detail = parsed.data.detail === undefined ? null : trim(oneLine(parsed.data.detail));
      return { detail: detail === '' ? null : detail, evidence: parsed.data.evidence ?? null };
    }
  } catch {
    // plain text
  }
  return { detail: trim(text), evidence: null };
}

/** Origin and path only: webhook URLs often carry a secret in their query. */
function safeAddress(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function trim(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}
