// A small GitHub REST client: authenticated GETs, `Link: <…>; rel="next"` pagination and answers
// checked with zod at the edge. Errors are sorted by whether asking again can help:
// - network errors, timeouts, 5xx and rate limits are retryable (a rate limit says when it resets
//   and asks Temporal to wait until then);
// - a rejected token (401), a forbidden or missing resource (403/404) and any answer that is not
//   GitHub's documented shape are non-retryable ApplicationFailures.
// The token is only ever put in the Authorization header: errors are built from scratch, without
// the AxiosError (whose config holds the headers), so it cannot reach a log or the workflow history.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { describeNetworkError, oneLine, snippet } from '../../http/errors';
import { httpRequest } from '../../http/request';

export interface GitHubClientOptions {
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiBaseUrl: string;
  token: string;
  /** Names the setting holding the token, for error messages (never the value). */
  tokenEnv: string;
  timeoutMs: number;
}

/** GitHub's error body: { "message": "Bad credentials", "documentation_url": "…" } */
const errorBodySchema = z.object({ message: z.string() });

/** Enough pages for 10,000 items at 100 a page; more means something is looping. */
const MAX_PAGES = 100;

export class GitHubClient {
  private readonly base: URL;

  constructor(private readonly options: GitHubClientOptions) {
    this.base = new URL(options.apiBaseUrl.endsWith('/') ? options.apiBaseUrl : `${options.apiBaseUrl}/`);
  }

  /** GETs one resource; with `missingIsNull`, a 404 answers null instead of failing. */
  async get<T>(path: string, schema: z.ZodType<T>, opts: { missingIsNull: true }): Promise<T | null>;
  async get<T>(path: string, schema: z.ZodType<T>): Promise<T>;
  async get<T>(path: string, schema: z.ZodType<T>, opts: { missingIsNull?: boolean } = {}): Promise<T | null> {
    const page = await this.request(this.url(path), schema, opts.missingIsNull ?? false);
    return page === null ? null : page.data;
  }

  /**
   * GETs every page of a list (per_page=100, following rel="next") and returns the items of all
   * pages; `items` picks them out of a page (the body itself for arrays, `check_runs` for check runs).
   * With `missingIsNull`, a 404 on the first page answers null.
   */
  async getAll<P, I>(
    path: string,
    schema: z.ZodType<P>,
    items: (page: P) => I[],
    opts: { missingIsNull: true },
  ): Promise<I[] | null>;
  async getAll<P, I>(path: string, schema: z.ZodType<P>, items: (page: P) => I[]): Promise<I[]>;
  async getAll<P, I>(
    path: string,
    schema: z.ZodType<P>,
    items: (page: P) => I[],
    opts: { missingIsNull?: boolean } = {},
  ): Promise<I[] | null> {
    const first = this.url(path);
    first.searchParams.set('per_page', '100');
    const all: I[] = [];
    let next: URL | null = first;
    for (let pages = 0; next !== null; pages++) {
      if (pages === MAX_PAGES) {
        throw ApplicationFailure.nonRetryable(
          `GitHub ${describe(first)} has more than ${MAX_PAGES} pages; refusing to follow more`,
          'MalformedGitHubResponse',
        );
      }
      const page = await this.request(next, schema, pages === 0 && (opts.missingIsNull ?? false));
      if (page === null) return null;
      all.push(...items(page.data));
      next = this.nextPage(page.link, first);
    }
    return all;
  }

  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  /** The rel="next" target of a Link header, which must stay on the API's origin (it gets the token). */
  private nextPage(link: string | null, first: URL): URL | null {
    if (link === null) return null;
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
    if (match?.[1] === undefined) return null;
    let next: URL;
    try {
      next = new URL(match[1], this.base);
    } catch {
      throw ApplicationFailure.nonRetryable(
        `GitHub ${describe(first)} sent an unusable Link header: ${link}`,
        'MalformedGitHubResponse',
      );
    }
    if (next.origin !== this.base.origin) {
      throw ApplicationFailure.nonRetryable(
        `GitHub ${describe(first)} pointed its next page at ${next.origin}, outside ${this.base.origin}; not following it with the token`,
        'MalformedGitHubResponse',
      );
    }
    return next;
  }

  private async request<T>(
    url: URL,
    schema: z.ZodType<T>,
    missingIsNull: boolean,
  ): Promise<{ data: T; link: string | null } | null> {
    const what = describe(url);
    let status: number;
    let body: string;
    let headers: Record<string, string | undefined>;
    try {
      ({
        status,
        text: body,
        headers,
      } = await httpRequest({
        method: 'GET',
        url: url.toString(),
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Bearer ${this.options.token}`,
          'X-GitHub-Api-Version': '2022-11-28',
          'User-Agent': 'release-promote',
        },
        timeoutMs: this.options.timeoutMs,
        // GitHub answers some reads (renamed repositories) with a redirect to the same API.
        followRedirects: true,
      }));
    } catch (err) {
      throw new Error(
        `GitHub ${what} could not be reached: ${describeNetworkError(err, this.options.timeoutMs, 'gates.timeout')}`,
      );
    }

    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw ApplicationFailure.nonRetryable(
          `GitHub ${what} answered HTTP ${status} with a body that is not JSON: ${snippet(body)}`,
          'MalformedGitHubResponse',
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `GitHub ${what} answered HTTP ${status} with JSON that is not the documented shape (${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')})`,
          'MalformedGitHubResponse',
        );
      }
      return { data: parsed.data, link: headers.link ?? null };
    }

    const message = githubMessage(body);
    if ((status === 403 || status === 429) && headers['x-ratelimit-remaining'] === '0') {
      throw rateLimited(what, headers['x-ratelimit-reset'], headers['x-ratelimit-limit'], message);
    }
    if ((status === 403 || status === 429) && headers['retry-after'] !== undefined) {
      // GitHub's secondary rate limit (too many requests at once) says how long to back off.
      const seconds = Number(headers['retry-after']);
      throw ApplicationFailure.create({
        message: `GitHub ${what} is rate limited (secondary limit: ${message}); retry after ${headers['retry-after']} s`,
        type: 'GitHubRateLimited',
        nonRetryable: false,
        nextRetryDelay: Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : undefined,
      });
    }
    if (status === 401) {
      throw ApplicationFailure.nonRetryable(
        `GitHub rejected the token in ${this.options.tokenEnv} (gates.tokenEnv) for ${what}: HTTP 401 ${message}; set a valid token`,
        'GitHubAuthError',
      );
    }
    if (status === 403) {
      throw ApplicationFailure.nonRetryable(
        `GitHub refused ${what}: HTTP 403 ${message} (does the token in ${this.options.tokenEnv} have access?)`,
        'GitHubForbidden',
      );
    }
    if (status === 404) {
      if (missingIsNull) return null;
      throw ApplicationFailure.nonRetryable(
        `GitHub ${what}: HTTP 404 ${message} (check gates.repository and the commit; private repositories also answer 404 when the token in ${this.options.tokenEnv} cannot see them)`,
        'GitHubNotFound',
      );
    }
    if (status >= 500 || status === 429 || status === 408) {
      throw new Error(`GitHub ${what} failed with HTTP ${status}: ${message}`);
    }
    throw ApplicationFailure.nonRetryable(
      `GitHub rejected ${what}: HTTP ${status} ${message}`,
      'GitHubRequestRejected',
    );
  }
}

function rateLimited(
  what: string,
  reset: string | undefined,
  limit: string | undefined,
  message: string,
): ApplicationFailure {
  const resetAt = reset !== undefined && /^\d+$/.test(reset) ? new Date(Number(reset) * 1_000) : null;
  const waitMs = resetAt === null ? null : Math.max(1_000, resetAt.getTime() - Date.now());
  const when =
    resetAt === null
      ? 'GitHub did not say when it resets'
      : `it resets at ${resetAt.toISOString()} (in ${Math.ceil((waitMs ?? 0) / 1_000)} s)`;
  return ApplicationFailure.create({
    message: `GitHub API rate limit exhausted${limit === undefined ? '' : ` (${limit} requests an hour)`} at ${what}: ${message}; ${when}`,
    type: 'GitHubRateLimited',
    nonRetryable: false,
    // Retrying before the reset only burns attempts: ask Temporal to wait until then.
    nextRetryDelay: waitMs ?? undefined,
  });
}

/** "GET /repos/o/r/commits/abc/status" — the path without the host or query (which may be long). */
function describe(url: URL): string {
  const page = url.searchParams.get('page');
  return `GET ${url.pathname}${page !== null && page !== '1' ? ` (page ${page})` : ''}`;
}

function githubMessage(body: string): string {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    if (parsed.success) return oneLine(parsed.data.message);
  } catch {
    // not JSON: quote it
  }
  return snippet(body);
}
