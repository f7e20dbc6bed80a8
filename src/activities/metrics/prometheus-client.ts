// One instant query against Prometheus's HTTP API (GET /api/v1/query), with the answer checked at
// the edge. What can go wrong is sorted by who can fix it:
// - the network, a timeout, an overloaded or restarting Prometheus, a proxy's 5xx: a plain Error,
//   so Temporal retries the activity;
// - Prometheus answered, but about the query (PromQL rejected, query timed out inside Prometheus, or
//   more than one number): a `queryError` on the measurement, which the canary judges inconclusive
//   and, if it persists, a human looks at;
// - the answer is not Prometheus's API shape, or authentication / the URL is wrong: a non-retryable
//   ApplicationFailure, because asking again gets the same answer.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { describeNetworkError, oneLine, snippet } from '../../http/errors';
import { httpRequest } from '../../http/request';

/** [unix seconds, value as text: "12.5", "NaN", "+Inf"] */
const sampleValueSchema = z.tuple([z.number(), z.string()]);

const successSchema = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({
      resultType: z.literal('vector'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValueSchema })),
    }),
    z.object({ resultType: z.literal('scalar'), result: sampleValueSchema }),
    z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
    z.object({ resultType: z.literal('string'), result: sampleValueSchema }),
  ]),
});

const errorSchema = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
});

const responseSchema = z.discriminatedUnion('status', [successSchema, errorSchema]);

/** Error types that describe the query rather than the server (Prometheus web/api/v1 errorType). */
const QUERY_ERROR_TYPES = new Set(['bad_data', 'execution', 'timeout', 'canceled']);

export interface PrometheusEndpoint {
  baseUrl: string;
  timeoutMs: number;
  /** Value of the Authorization header, when the Prometheus needs one. Never logged. */
  authorization: string | null;
  /** Names the setting holding the credentials, for error messages (never the value). */
  authHint: string;
}

/** A number, null for "no data" (empty answer or NaN), or why the query itself failed. */
export type QueryOutcome = { value: number | null } | { queryError: string };

export async function instantQuery(
  endpoint: PrometheusEndpoint,
  query: string,
  time: Date,
  label: string,
): Promise<QueryOutcome> {
  const url = new URL(
    'api/v1/query',
    endpoint.baseUrl.endsWith('/') ? endpoint.baseUrl : `${endpoint.baseUrl}/`,
  ).toString();
  const where = `Prometheus at ${endpoint.baseUrl}`;
  let status: number;
  let body: string;
  try {
    ({ status, text: body } = await httpRequest({
      method: 'GET',
      url,
      params: { query, time: (time.getTime() / 1000).toFixed(3) },
      headers: endpoint.authorization === null ? {} : { Authorization: endpoint.authorization },
      timeoutMs: endpoint.timeoutMs,
    }));
  } catch (err) {
    // A fresh Error without the AxiosError attached: its config carries the Authorization header.
    throw new Error(
      `${where} could not be queried for ${label}: ${describeNetworkError(err, endpoint.timeoutMs, 'metrics.timeout')}`,
    );
  }

  if (status === 401 || status === 403) {
    throw ApplicationFailure.nonRetryable(
      `${where} refused the ${label} query (HTTP ${status}): check the credentials (${endpoint.authHint})`,
      'PrometheusAuthError',
    );
  }
  const retryableStatus = status >= 500 || status === 429 || status === 408;

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const message = `${where} answered the ${label} query with HTTP ${status} and a body that is not JSON: ${snippet(body)}`;
    if (retryableStatus) throw new Error(message);
    if (status === 404) {
      throw ApplicationFailure.nonRetryable(
        `${message} (is metrics.baseUrl the Prometheus root, like http://prometheus:9090?)`,
        'PrometheusNotFound',
      );
    }
    throw ApplicationFailure.nonRetryable(message, 'MalformedMetricsResponse');
  }

  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) {
    const message = `${where} answered the ${label} query with HTTP ${status} and JSON that is not a Prometheus query result (${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')}): ${snippet(body)}`;
    if (retryableStatus) throw new Error(message);
    throw ApplicationFailure.nonRetryable(message, 'MalformedMetricsResponse');
  }

  const answer = parsed.data;
  if (answer.status === 'error') {
    // A 503 "unavailable" or 500 "internal" is the server's state, not the query's: retry.
    if (!QUERY_ERROR_TYPES.has(answer.errorType) && retryableStatus) {
      throw new Error(
        `${where} failed the ${label} query (HTTP ${status}, ${answer.errorType}): ${oneLine(answer.error)}`,
      );
    }
    return { queryError: `${label} query failed in Prometheus (${answer.errorType}): ${oneLine(answer.error)}` };
  }
  if (status < 200 || status >= 300) {
    throw ApplicationFailure.nonRetryable(
      `${where} answered the ${label} query with HTTP ${status} and status "success"`,
      'MalformedMetricsResponse',
    );
  }

  const data = answer.data;
  switch (data.resultType) {
    case 'scalar':
      return numberOf(data.result[1], where, label);
    case 'vector': {
      const [first, ...rest] = data.result;
      if (first === undefined) return { value: null }; // no series matched: no data
      if (rest.length > 0) {
        return {
          queryError: `${label} query returned ${data.result.length} series; it must return one number (aggregate it, e.g. with sum())`,
        };
      }
      return numberOf(first.value[1], where, label);
    }
    default:
      return {
        queryError: `${label} query returned a ${data.resultType}; it must return one number (a scalar or a one-element vector)`,
      };
  }
}

const SPECIAL_VALUES = new Set(['NaN', '+Inf', '-Inf', 'Inf']);

/** NaN (0/0: no traffic in the window) and ±Inf are no data; text that is not a number is malformed. */
function numberOf(text: string, where: string, label: string): QueryOutcome {
  if (SPECIAL_VALUES.has(text)) return { value: null };
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw ApplicationFailure.nonRetryable(
      `${where} answered the ${label} query with the value "${snippet(text)}", which is not a number`,
      'MalformedMetricsResponse',
    );
  }
  return { value };
}
