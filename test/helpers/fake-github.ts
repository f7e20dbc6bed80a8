// A local stand-in for GitHub's REST API, answering the endpoints the dev gates read with the
// response shapes GitHub documents (API version 2022-11-28), including fields the client ignores.
// It checks the bearer token, paginates with `Link: <…>; rel="next"` (page size forced small with
// `state.pageSize` to exercise pagination), can answer the next requests with the primary rate
// limit (403 + x-ratelimit-remaining: 0) and lets a test replace any path's answer (`overrides`).
// It can be mounted under a prefix (e.g. /api/v3, as GitHub Enterprise Server is).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_REPOSITORY = 'acme/shop';
export const FAKE_TOKEN = 'ghp_fakeTokenForTests0123456789';

export interface FakeCheckRun {
  name: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: string | null;
  title?: string | null;
  summary?: string | null;
}
export interface FakeStatus {
  context: string;
  state: 'success' | 'failure' | 'error' | 'pending';
  description?: string | null;
}
export interface FakePull {
  number: number;
  merged?: boolean;
  mergeCommitSha?: string | null;
  headSha?: string;
}
export interface FakeReview {
  login: string | null;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  at: string;
}
export interface FakeAlert {
  severity: 'low' | 'medium' | 'high' | 'critical' | null;
  state?: 'open' | 'dismissed' | 'fixed';
}

export interface FakeGitHubState {
  checkRuns: Record<string, FakeCheckRun[]>;
  statuses: Record<string, FakeStatus[]>;
  pulls: Record<string, FakePull[]>;
  reviews: Record<number, FakeReview[]>;
  /** Open alerts by ref; null means code scanning has no analysis in this repository (404). */
  alerts: Record<string, FakeAlert[]> | null;
  /** Coverage documents served at /coverage/<sha>.json (outside the API prefix, like any CI host). */
  coverageDocs: Record<string, unknown>;
  /** Items per page regardless of per_page, to make pagination happen with few items. */
  pageSize: number | null;
  /** The next this-many API requests answer 403 with the primary rate limit exhausted. */
  rateLimitedRequests: number;
  /** Answers for exact paths (without the prefix), replacing the fake's own. */
  overrides: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  accept: string | undefined;
  apiVersion: string | undefined;
}

export interface FakeGitHub {
  /** The API base URL to configure (origin + prefix). */
  apiBaseUrl: string;
  origin: string;
  state: FakeGitHubState;
  requests: RecordedRequest[];
  /** Epoch seconds the fake reports in x-ratelimit-reset. */
  rateLimitResetAt: number;
  stop(): Promise<void>;
}

export function emptyState(): FakeGitHubState {
  return {
    checkRuns: {},
    statuses: {},
    pulls: {},
    reviews: {},
    alerts: {},
    coverageDocs: {},
    pageSize: null,
    rateLimitedRequests: 0,
    overrides: {},
  };
}

export async function startFakeGitHub(options: { prefix?: string } = {}): Promise<FakeGitHub> {
  const prefix = (options.prefix ?? '').replace(/\/$/, '');
  const state = emptyState();
  const requests: RecordedRequest[] = [];
  let origin = '';
  const fake: FakeGitHub = {
    apiBaseUrl: '',
    origin: '',
    state,
    requests,
    rateLimitResetAt: Math.floor(Date.now() / 1000) + 1800,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'GET' && url.pathname.startsWith('/coverage/')) {
      const sha = url.pathname.replace(/^\/coverage\/|\.json$/g, '');
      const doc = fake.state.coverageDocs[sha];
      if (doc === undefined) return json(res, 404, { message: 'Not Found' });
      return typeof doc === 'string' ? text(res, 200, doc) : json(res, 200, doc);
    }
    if (!url.pathname.startsWith(`${prefix}/`)) return json(res, 404, notFound());
    const path = url.pathname.slice(prefix.length);
    requests.push({
      method: req.method ?? '',
      path,
      query: url.searchParams,
      authorization: req.headers.authorization,
      accept: req.headers.accept,
      apiVersion: header(req, 'x-github-api-version'),
    });

    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) {
      return json(res, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }
    if (fake.state.rateLimitedRequests > 0) {
      fake.state.rateLimitedRequests -= 1;
      res.setHeader('x-ratelimit-limit', '5000');
      res.setHeader('x-ratelimit-remaining', '0');
      res.setHeader('x-ratelimit-used', '5000');
      res.setHeader('x-ratelimit-reset', String(fake.rateLimitResetAt));
      res.setHeader('x-ratelimit-resource', 'core');
      return json(res, 403, {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      });
    }
    const override = fake.state.overrides[path];
    if (override !== undefined) return override(req, res);
    res.setHeader('x-ratelimit-limit', '5000');
    res.setHeader('x-ratelimit-remaining', '4999');
    route(fake, url, path, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.origin = origin;
  fake.apiBaseUrl = `${origin}${prefix}`;
  return fake;

  function route(f: FakeGitHub, url: URL, path: string, res: ServerResponse): void {
    const repoPrefix = `/repos/${FAKE_REPOSITORY}/`;
    if (!path.startsWith(repoPrefix)) return json(res, 404, notFound());
    const rest = path.slice(repoPrefix.length);
    const html = `https://github.example/${FAKE_REPOSITORY}`;
    let m: RegExpExecArray | null;

    if ((m = /^commits\/([^/]+)\/check-runs$/.exec(rest)) !== null) {
      const sha = decodeURIComponent(m[1] ?? '');
      const runs = f.state.checkRuns[sha];
      if (runs === undefined)
        return json(res, 422, {
          message: `No commit found for SHA: ${sha}`,
          documentation_url: 'https://docs.github.com/rest',
        });
      const page = paginate(
        runs.map((r, i) => checkRunJson(r, i + 1, sha, html)),
        url,
        path,
        res,
      );
      return json(res, 200, { total_count: runs.length, check_runs: page });
    }
    if ((m = /^commits\/([^/]+)\/status$/.exec(rest)) !== null) {
      const sha = decodeURIComponent(m[1] ?? '');
      const statuses = f.state.statuses[sha] ?? [];
      const page = paginate(
        statuses.map((s, i) => statusJson(s, i + 1)),
        url,
        path,
        res,
      );
      return json(res, 200, {
        state: combinedState(statuses),
        statuses: page,
        sha,
        total_count: statuses.length,
        repository: { id: 1296269, name: 'shop', full_name: FAKE_REPOSITORY },
        commit_url: `${f.apiBaseUrl}/repos/${FAKE_REPOSITORY}/commits/${sha}`,
        url: `${f.apiBaseUrl}/repos/${FAKE_REPOSITORY}/commits/${sha}/status`,
      });
    }
    if ((m = /^commits\/([^/]+)\/pulls$/.exec(rest)) !== null) {
      const sha = decodeURIComponent(m[1] ?? '');
      const pulls = (f.state.pulls[sha] ?? []).map((p) => pullJson(p, sha, html));
      return json(res, 200, paginate(pulls, url, path, res));
    }
    if ((m = /^pulls\/(\d+)\/reviews$/.exec(rest)) !== null) {
      const number = Number(m[1]);
      const reviews = (f.state.reviews[number] ?? []).map((r, i) => reviewJson(r, i + 1, number, html));
      return json(res, 200, paginate(reviews, url, path, res));
    }
    if (rest === 'code-scanning/alerts') {
      if (f.state.alerts === null) {
        return json(res, 404, {
          message: 'no analysis found',
          documentation_url:
            'https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-a-repository',
        });
      }
      const ref = url.searchParams.get('ref') ?? 'refs/heads/main';
      const wanted = url.searchParams.get('state');
      const alerts = (f.state.alerts[ref] ?? [])
        .map((a, i) => alertJson(a, i + 1, ref, html))
        .filter((a) => wanted === null || a.state === wanted);
      return json(res, 200, paginate(alerts, url, path, res));
    }
    return json(res, 404, notFound());
  }

  /** Slices one page and sets GitHub's Link header (next / last, and prev / first past page 1). */
  function paginate<T>(items: T[], url: URL, path: string, res: ServerResponse): T[] {
    const perPage = fake.state.pageSize ?? Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string): string => {
      const q = new URLSearchParams(url.searchParams);
      q.set('page', String(n));
      return `<${origin}${prefix}${path}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (links.length > 0) res.setHeader('Link', links.join(', '));
    return items.slice((page - 1) * perPage, page * perPage);
  }
}

function checkRunJson(r: FakeCheckRun, id: number, sha: string, html: string) {
  const status = r.status ?? 'completed';
  return {
    id,
    head_sha: sha,
    node_id: `CR_${id}`,
    external_id: '',
    url: `https://api.github.example/repos/${FAKE_REPOSITORY}/check-runs/${id}`,
    html_url: `${html}/runs/${id}`,
    details_url: `https://ci.example/runs/${id}`,
    status,
    conclusion: status === 'completed' ? (r.conclusion ?? 'success') : null,
    started_at: '2025-10-05T10:00:00Z',
    completed_at: status === 'completed' ? '2025-10-05T10:05:00Z' : null,
    output: {
      title: r.title ?? null,
      summary: r.summary ?? null,
      text: null,
      annotations_count: 0,
      annotations_url: '',
    },
    name: r.name,
    check_suite: { id: 5 },
    app: { id: 1, slug: 'github-actions', name: 'GitHub Actions' },
    pull_requests: [],
  };
}

function statusJson(s: FakeStatus, id: number) {
  return {
    url: `https://api.github.example/repos/${FAKE_REPOSITORY}/statuses/${id}`,
    avatar_url: 'https://github.example/images/error/hubot_happy.gif',
    id,
    node_id: `MDY6U3RhdHVz${id}`,
    state: s.state,
    description: s.description ?? null,
    target_url: `https://ci.example/status/${s.context}`,
    context: s.context,
    created_at: '2025-10-05T10:00:00Z',
    updated_at: '2025-10-05T10:05:00Z',
  };
}

function combinedState(statuses: FakeStatus[]): string {
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) return 'failure';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

function pullJson(p: FakePull, sha: string, html: string) {
  const merged = p.merged ?? true;
  return {
    url: `https://api.github.example/repos/${FAKE_REPOSITORY}/pulls/${p.number}`,
    id: 1000 + p.number,
    number: p.number,
    state: merged ? 'closed' : 'open',
    title: `Change #${p.number}`,
    user: { login: 'author', id: 7 },
    html_url: `${html}/pull/${p.number}`,
    merged_at: merged ? '2025-10-05T09:00:00Z' : null,
    merge_commit_sha: p.mergeCommitSha === undefined ? (merged ? sha : null) : p.mergeCommitSha,
    head: { label: 'acme:feature', ref: 'feature', sha: p.headSha ?? 'f'.repeat(40) },
    base: { label: 'acme:main', ref: 'main', sha: 'b'.repeat(40) },
  };
}

function reviewJson(r: FakeReview, id: number, number: number, html: string) {
  return {
    id,
    node_id: `PRR_${id}`,
    user: r.login === null ? null : { login: r.login, id: 100 + id, type: 'User' },
    body: '',
    state: r.state,
    html_url: `${html}/pull/${number}#pullrequestreview-${id}`,
    pull_request_url: `https://api.github.example/repos/${FAKE_REPOSITORY}/pulls/${number}`,
    submitted_at: r.at,
    commit_id: 'c'.repeat(40),
    author_association: 'MEMBER',
  };
}

function alertJson(a: FakeAlert, number: number, ref: string, html: string) {
  return {
    number,
    created_at: '2025-10-01T00:00:00Z',
    url: `https://api.github.example/repos/${FAKE_REPOSITORY}/code-scanning/alerts/${number}`,
    html_url: `${html}/security/code-scanning/${number}`,
    state: a.state ?? 'open',
    dismissed_by: null,
    dismissed_at: null,
    dismissed_reason: null,
    rule: {
      id: `js/rule-${number}`,
      severity: a.severity === null ? 'warning' : 'error',
      security_severity_level: a.severity,
      description: 'A rule',
      name: `js/rule-${number}`,
      tags: a.severity === null ? ['maintainability'] : ['security'],
    },
    tool: { name: 'CodeQL', guid: null, version: '2.19.0' },
    most_recent_instance: {
      ref,
      analysis_key: '.github/workflows/codeql.yml:analyze',
      state: 'open',
      commit_sha: 'c'.repeat(40),
    },
  };
}

function notFound() {
  return { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
