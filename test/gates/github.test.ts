// GitHubGates.devGateFacts against a local fake of GitHub's REST API (test/helpers/fake-github.ts),
// then through the pure gate rules, so each test shows the facts and the verdict a person would see.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { GitHubGates, type GitHubGatesConfig } from '../../src/activities/gates/github';
import { gatesSchema } from '../../src/config/integrations-schema';
import { evaluateDevGates } from '../../src/shared/gates';
import type { DevGatePolicy } from '../../src/shared/policy';
import {
  emptyState,
  FAKE_REPOSITORY,
  FAKE_TOKEN,
  json,
  startFakeGitHub,
  text,
  type FakeGitHub,
} from '../helpers/fake-github';

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
const RELEASE = { version: '2.4.0', commitSha: SHA };
const POLICY: DevGatePolicy = { minCoveragePct: 80, blockingSeverities: ['critical', 'high'], requireCodeReview: true };
const TOKEN_ENV = 'TEST_GITHUB_GATES_TOKEN';

function config(fake: FakeGitHub, extra: Record<string, unknown> = {}): GitHubGatesConfig {
  const parsed = gatesSchema.parse({
    provider: 'github',
    apiBaseUrl: fake.apiBaseUrl,
    repository: FAKE_REPOSITORY,
    tokenEnv: TOKEN_ENV,
    ...extra,
  });
  assert.equal(parsed.provider, 'github');
  return parsed;
}

/** A commit that passes every dev gate. */
function seedPassing(fake: FakeGitHub): void {
  Object.assign(fake.state, emptyState());
  fake.state.checkRuns[SHA] = [{ name: 'build' }, { name: 'unit-tests' }, { name: 'lint', conclusion: 'neutral' }];
  fake.state.statuses[SHA] = [
    { context: 'ci/jenkins', state: 'success', description: 'Build #41 passed' },
    { context: 'coverage', state: 'success', description: '84.21% (+0.12%) compared to 1a2b3c4' },
  ];
  fake.state.pulls[SHA] = [{ number: 17 }];
  fake.state.reviews[17] = [
    { login: 'bob', state: 'COMMENTED', at: '2025-10-05T08:00:00Z' },
    { login: 'bob', state: 'APPROVED', at: '2025-10-05T08:10:00Z' },
    { login: 'carol', state: 'CHANGES_REQUESTED', at: '2025-10-05T08:20:00Z' },
    { login: 'carol', state: 'APPROVED', at: '2025-10-05T08:40:00Z' },
    { login: 'bob', state: 'COMMENTED', at: '2025-10-05T08:50:00Z' }, // a later comment keeps bob's approval
  ];
  fake.state.alerts = { 'refs/heads/main': [{ severity: 'low' }, { severity: 'medium' }, { severity: null }] };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error, 'expected the call to fail');
  return err;
}

function assertNonRetryable(err: Error, type: string, message: RegExp): void {
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${err.name}: ${err.message}`);
  assert.equal(err.nonRetryable, true, err.message);
  assert.equal(err.type, type);
  assert.match(err.message, message);
  assert.ok(!err.message.includes(FAKE_TOKEN), 'the token must never appear in an error');
}

void describe('GitHubGates.devGateFacts', () => {
  let fake: FakeGitHub;

  before(async () => {
    fake = await startFakeGitHub({ prefix: '/api/v3' }); // GitHub Enterprise Server's layout
    process.env[TOKEN_ENV] = FAKE_TOKEN;
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  after(async () => {
    delete process.env[TOKEN_ENV];
    await fake.stop();
  });

  void test('pass: checks, coverage, findings and review all gathered, and every dev gate passes', async () => {
    seedPassing(fake);
    const facts = await new GitHubGates(config(fake)).devGateFacts(RELEASE);

    assert.deepEqual(
      facts.checks.map((c) => `${c.name}:${c.conclusion}`),
      ['build:success', 'unit-tests:success', 'lint:neutral', 'ci/jenkins:success', 'coverage:success'],
    );
    assert.equal(facts.checks[0]?.url, `https://github.example/${FAKE_REPOSITORY}/runs/1`);
    assert.equal(facts.coveragePct, 84.21);
    assert.equal(facts.coverageSource, 'https://ci.example/status/coverage');
    assert.deepEqual(facts.findings, { critical: 0, high: 0, medium: 1, low: 1 }); // the code-quality alert is not counted
    assert.match(
      facts.findingsSource ?? '',
      /^http:\/\/127\.0\.0\.1:\d+\/acme\/shop\/security\/code-scanning\?query=is%3Aopen%20ref%3Arefs%2Fheads%2Fmain$/,
    );
    assert.deepEqual(facts.review, {
      approved: true,
      approvers: ['@bob', '@carol'],
      changesRequestedBy: [],
      source: `https://github.example/${FAKE_REPOSITORY}/pull/17`,
    });

    const results = evaluateDevGates(facts, POLICY);
    assert.deepEqual(
      results.map((r) => [r.gate, r.passed, r.reason]),
      [
        ['ci-checks', true, 'all 5 CI checks passed'],
        ['unit-coverage', true, 'unit coverage 84.21% ≥ 80% required'],
        ['security-findings', true, 'no critical/high security findings'],
        ['code-review', true, 'code review approved by @bob, @carol'],
      ],
    );

    // Every request: authenticated, versioned, under the Enterprise prefix, at most 100 a page.
    assert.ok(fake.requests.length >= 5);
    for (const r of fake.requests) {
      assert.equal(r.authorization, `Bearer ${FAKE_TOKEN}`);
      assert.equal(r.accept, 'application/vnd.github+json');
      assert.equal(r.apiVersion, '2022-11-28');
      assert.equal(r.query.get('per_page'), '100');
    }
    const alerts = fake.requests.find((r) => r.path.endsWith('/code-scanning/alerts'));
    assert.equal(alerts?.query.get('state'), 'open');
    assert.equal(alerts?.query.get('ref'), 'refs/heads/main');
  });

  void test('fail: a failing and a running check, low coverage, a critical finding and requested changes', async () => {
    seedPassing(fake);
    fake.state.checkRuns[SHA] = [
      { name: 'build' },
      { name: 'unit-tests', conclusion: 'failure' },
      { name: 'e2e-smoke', status: 'in_progress' },
    ];
    fake.state.statuses[SHA] = [
      { context: 'coverage', state: 'failure', description: '71.5% (-3.2%) compared to 1a2b3c4' },
    ];
    fake.state.reviews[17] = [
      { login: 'bob', state: 'APPROVED', at: '2025-10-05T08:10:00Z' },
      { login: 'dave', state: 'APPROVED', at: '2025-10-05T08:15:00Z' },
      { login: 'dave', state: 'CHANGES_REQUESTED', at: '2025-10-05T08:30:00Z' },
      { login: 'erin', state: 'CHANGES_REQUESTED', at: '2025-10-05T08:31:00Z' },
      { login: 'erin', state: 'DISMISSED', at: '2025-10-05T08:45:00Z' }, // erin's request was dismissed
    ];
    fake.state.alerts = {
      'refs/heads/main': [
        { severity: 'critical' },
        { severity: 'high' },
        { severity: 'high' },
        { severity: 'critical', state: 'fixed' },
      ],
    };

    const facts = await new GitHubGates(config(fake)).devGateFacts(RELEASE);
    assert.deepEqual(facts.findings, { critical: 1, high: 2, medium: 0, low: 0 });
    assert.deepEqual(facts.review?.changesRequestedBy, ['@dave']);
    assert.deepEqual(facts.review?.approvers, ['@bob']);
    assert.equal(facts.review?.approved, false);

    const reasons = Object.fromEntries(
      evaluateDevGates(facts, POLICY).map((r) => [r.gate, r.passed ? 'PASS' : r.reason]),
    );
    assert.deepEqual(reasons, {
      'ci-checks': '3 of 4 CI checks not passing: unit-tests (failure), e2e-smoke (pending), coverage (failure)',
      'unit-coverage': 'unit coverage 71.5% < 80% required',
      'security-findings': 'blocking security findings: 1 critical, 2 high',
      'code-review': 'changes requested by @dave',
    });
  });

  void test('no pull request, no code-scanning analysis and no coverage status: reported as missing, gates fail', async () => {
    seedPassing(fake);
    fake.state.pulls[SHA] = [];
    fake.state.alerts = null; // GitHub answers 404 "no analysis found"
    fake.state.statuses[SHA] = [{ context: 'ci/jenkins', state: 'success' }];
    const facts = await new GitHubGates(config(fake)).devGateFacts(RELEASE);
    assert.equal(facts.review, null);
    assert.equal(facts.findings, null);
    assert.equal(facts.coveragePct, null);
    const reasons = evaluateDevGates(facts, POLICY)
      .filter((r) => !r.passed)
      .map((r) => r.reason);
    assert.deepEqual(reasons, [
      'unit test coverage was not reported',
      'security findings were not reported',
      'no pull request review found for this commit',
    ]);
  });

  void test('pagination: follows rel="next" through every page of check runs, statuses and reviews', async () => {
    seedPassing(fake);
    fake.state.pageSize = 2;
    fake.state.checkRuns[SHA] = Array.from({ length: 5 }, (_, i) => ({
      name: `job-${i + 1}`,
      conclusion: i === 4 ? 'failure' : 'success',
    }));
    fake.state.statuses[SHA] = [
      { context: 'a', state: 'success' },
      { context: 'b', state: 'success' },
      { context: 'coverage', state: 'success', description: '90% of lines' },
    ];
    // The approval that is undone is on page 1; the request for changes on page 3.
    fake.state.reviews[17] = [
      { login: 'bob', state: 'APPROVED', at: '2025-10-05T08:00:00Z' },
      { login: 'carol', state: 'APPROVED', at: '2025-10-05T08:01:00Z' },
      { login: 'bob', state: 'COMMENTED', at: '2025-10-05T08:02:00Z' },
      { login: 'dave', state: 'COMMENTED', at: '2025-10-05T08:03:00Z' },
      { login: 'carol', state: 'CHANGES_REQUESTED', at: '2025-10-05T08:04:00Z' },
    ];
    const facts = await new GitHubGates(config(fake)).devGateFacts(RELEASE);
    assert.deepEqual(
      facts.checks.map((c) => c.name),
      ['job-1', 'job-2', 'job-3', 'job-4', 'job-5', 'a', 'b', 'coverage'],
    );
    assert.equal(facts.coveragePct, 90);
    assert.deepEqual(facts.review?.changesRequestedBy, ['@carol']);
    const pages = (suffix: string) =>
      fake.requests.filter((r) => r.path.endsWith(suffix)).map((r) => r.query.get('page') ?? '1');
    assert.deepEqual(pages('/check-runs'), ['1', '2', '3']);
    assert.deepEqual(pages('/status'), ['1', '2']);
    assert.deepEqual(pages('/reviews'), ['1', '2', '3']);
    // The next page keeps the original query.
    const alertPages = fake.requests.filter((r) => r.path.endsWith('/code-scanning/alerts'));
    assert.ok(
      alertPages.length === 2 &&
        alertPages.every((r) => r.query.get('ref') === 'refs/heads/main' && r.query.get('state') === 'open'),
    );
  });

  void test('rate limit: 403 with x-ratelimit-remaining 0 is a retryable failure that says when the limit resets', async () => {
    seedPassing(fake);
    fake.state.rateLimitedRequests = 1;
    const err = await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE));
    assert.ok(err instanceof ApplicationFailure, err.message);
    assert.equal(err.nonRetryable, false);
    assert.equal(err.type, 'GitHubRateLimited');
    const resetIso = new Date(fake.rateLimitResetAt * 1000).toISOString();
    assert.match(
      err.message,
      /GitHub API rate limit exhausted \(5000 requests an hour\) at GET \/api\/v3\/repos\/acme\/shop\/.*: API rate limit exceeded for user ID 1\.; it resets at/,
    );
    assert.ok(err.message.includes(`it resets at ${resetIso} (in `), err.message);
    // Temporal is asked to wait until the reset instead of burning retries (about 30 minutes here).
    assert.ok(
      typeof err.nextRetryDelay === 'number' && err.nextRetryDelay > 29 * 60_000 && err.nextRetryDelay <= 30 * 60_000,
      String(err.nextRetryDelay),
    );

    // Once the limit has reset, the same call succeeds.
    const facts = await new GitHubGates(config(fake)).devGateFacts(RELEASE);
    assert.equal(facts.coveragePct, 84.21);
  });

  void test('a rejected token (401) is a non-retryable GitHubAuthError naming the variable, not the token', async () => {
    seedPassing(fake);
    process.env[TOKEN_ENV] = 'ghp_revokedToken';
    try {
      const err = await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE));
      assertNonRetryable(
        err,
        'GitHubAuthError',
        new RegExp(
          `GitHub rejected the token in ${TOKEN_ENV} \\(gates.tokenEnv\\) for GET .*: HTTP 401 Bad credentials`,
        ),
      );
      assert.ok(!err.message.includes('ghp_revokedToken'));
    } finally {
      process.env[TOKEN_ENV] = FAKE_TOKEN;
    }
  });

  void test('a missing token variable is a non-retryable GitHubAuthError before any request', async () => {
    const err = await failure(
      new GitHubGates(config(fake, { tokenEnv: 'TEST_GITHUB_TOKEN_UNSET' })).devGateFacts(RELEASE),
    );
    assertNonRetryable(err, 'GitHubAuthError', /TEST_GITHUB_TOKEN_UNSET \(gates.tokenEnv\) is not set on the worker/);
    assert.equal(fake.requests.length, 0);
  });

  void test('malformed answers are non-retryable MalformedGitHubResponse failures saying what was wrong', async () => {
    seedPassing(fake);
    const checkRunsPath = `/repos/${FAKE_REPOSITORY}/commits/${SHA}/check-runs`;
    fake.state.overrides[checkRunsPath] = (_req, res) => json(res, 200, { total_count: 1, check_runs: 'none' });
    assertNonRetryable(
      await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE)),
      'MalformedGitHubResponse',
      /GET \/api\/v3\/repos\/acme\/shop\/commits\/3f78.*\/check-runs answered HTTP 200 with JSON that is not the documented shape \(.*check_runs/,
    );

    fake.state.overrides[checkRunsPath] = (_req, res) => text(res, 200, '<html>Sign in to your proxy</html>');
    assertNonRetryable(
      await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE)),
      'MalformedGitHubResponse',
      /answered HTTP 200 with a body that is not JSON: <html>Sign in to your proxy<\/html>/,
    );
  });

  void test('a next page on another origin is not followed with the token', async () => {
    seedPassing(fake);
    fake.state.overrides[`/repos/${FAKE_REPOSITORY}/commits/${SHA}/pulls`] = (_req, res) => {
      res.setHeader('Link', '<https://attacker.example/steal?page=2>; rel="next"');
      json(res, 200, []);
    };
    assertNonRetryable(
      await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE)),
      'MalformedGitHubResponse',
      /outside http:\/\/127\.0\.0\.1:\d+; not following it/,
    );
  });

  void test('server errors are retryable; an unknown commit (422) is not', async () => {
    seedPassing(fake);
    fake.state.overrides[`/repos/${FAKE_REPOSITORY}/commits/${SHA}/status`] = (_req, res) =>
      json(res, 502, { message: 'Server Error' });
    const err = await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE));
    assert.ok(!(err instanceof ApplicationFailure), `expected a plain (retryable) Error, got ${err.message}`);
    assert.match(
      err.message,
      /GitHub GET \/api\/v3\/repos\/acme\/shop\/commits\/.*\/status failed with HTTP 502: Server Error/,
    );

    Object.assign(fake.state, emptyState());
    assertNonRetryable(
      await failure(new GitHubGates(config(fake)).devGateFacts({ version: '2.4.0', commitSha: 'deadbeef' })),
      'GitHubRequestRejected',
      /HTTP 422 No commit found for SHA: deadbeef/,
    );
  });

  void test('coverage from a check run: the first percentage of its output title or summary', async () => {
    seedPassing(fake);
    fake.state.checkRuns[SHA] = [
      { name: 'build' },
      { name: 'Coverage report', title: 'Tests passed', summary: 'Lines: **82.5%** (1650/2000)\nBranches: 70%' },
    ];
    const facts = await new GitHubGates(
      config(fake, { coverage: { from: 'check-run', name: 'Coverage report' } }),
    ).devGateFacts(RELEASE);
    assert.equal(facts.coveragePct, 82.5);
    assert.equal(facts.coverageSource, `https://github.example/${FAKE_REPOSITORY}/runs/2`);

    fake.state.checkRuns[SHA] = [{ name: 'Coverage report', status: 'in_progress' }];
    const pending = await new GitHubGates(
      config(fake, { coverage: { from: 'check-run', name: 'Coverage report' } }),
    ).devGateFacts(RELEASE);
    assert.equal(pending.coveragePct, null, 'a running coverage job has not reported yet');
  });

  void test('coverage from a URL: {"coveragePct": n} or an Istanbul json-summary, without the GitHub token', async () => {
    seedPassing(fake);
    const urlConfig = config(fake, { coverage: { from: 'url', url: `${fake.origin}/coverage/{sha}.json` } });
    fake.state.coverageDocs[SHA] = { coveragePct: 88.8 };
    assert.equal((await new GitHubGates(urlConfig).devGateFacts(RELEASE)).coveragePct, 88.8);

    fake.state.coverageDocs[SHA] = {
      total: { lines: { total: 2000, covered: 1530, skipped: 0, pct: 76.5 }, statements: { pct: 75 } },
    };
    const facts = await new GitHubGates(urlConfig).devGateFacts(RELEASE);
    assert.equal(facts.coveragePct, 76.5);
    assert.equal(facts.coverageSource, `${fake.origin}/coverage/${SHA}.json`);

    delete fake.state.coverageDocs[SHA];
    assert.equal(
      (await new GitHubGates(urlConfig).devGateFacts(RELEASE)).coveragePct,
      null,
      '404: not reported for this commit',
    );

    fake.state.coverageDocs[SHA] = { lines: '76%' };
    assertNonRetryable(
      await failure(new GitHubGates(urlConfig).devGateFacts(RELEASE)),
      'MalformedCoverageReport',
      /is neither \{"coveragePct": <0-100>\} nor an Istanbul json-summary/,
    );
  });

  void test('a coverage status without a percentage is a non-retryable MalformedCoverageReport quoting it', async () => {
    seedPassing(fake);
    fake.state.statuses[SHA] = [{ context: 'coverage', state: 'success', description: 'Coverage looks fine' }];
    assertNonRetryable(
      await failure(new GitHubGates(config(fake)).devGateFacts(RELEASE)),
      'MalformedCoverageReport',
      /the commit status "coverage" \(gates.coverage.context\) has no percentage like "84.2%" in its description: "Coverage looks fine"/,
    );
  });

  void test('the code-scanning ref may name the release version', async () => {
    seedPassing(fake);
    fake.state.alerts = { 'refs/tags/v2.4.0': [{ severity: 'high' }] };
    const facts = await new GitHubGates(config(fake, { codeScanningRef: 'refs/tags/v{version}' })).devGateFacts(
      RELEASE,
    );
    assert.deepEqual(facts.findings, { critical: 0, high: 1, medium: 0, low: 0 });
  });
});
