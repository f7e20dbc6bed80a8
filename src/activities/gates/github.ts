// Gate facts from GitHub (dev gates) and from the team's test webhooks (staging gates). This only
// gathers facts; src/shared/gates.ts decides pass or fail.
//
// Dev gate facts for a commit:
// - CI checks: its check runs (the latest run per name) and its commit statuses (the latest per
//   context). A check run that has not completed counts as "pending".
// - Coverage: from gates.coverage (see coverage.ts).
// - Security findings: open code-scanning alerts on gates.codeScanningRef, counted by the rule's
//   security severity; alerts of rules without one (code quality) are not security findings. A
//   repository without code-scanning results (404) reports no findings, so the gate fails.
// - Code review: the pull request the commit belongs to and its reviews. Each reviewer's latest
//   APPROVED, CHANGES_REQUESTED or DISMISSED review counts (a later COMMENTED one does not undo an
//   approval, as on GitHub); approved when someone approves and nobody's latest requests changes.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { gatesSchema } from '../../config/integrations-schema';
import type { DevGateFacts, Severity, StagingSuite, SuiteOutcome } from '../../shared/gates';
import type { GateProvider, StagingRelease } from '../ports';
import { coverageFromCheckRun, coverageFromStatus, coverageFromUrl, type CoverageFact } from './coverage';
import { GitHubClient } from './github-client';
import {
  checkRunsPageSchema,
  codeScanningAlertsPageSchema,
  combinedStatusPageSchema,
  pullsPageSchema,
  reviewsPageSchema,
  type CheckRun,
  type CodeScanningAlert,
  type CommitStatus,
  type PullRequest,
  type Review,
} from './github-schemas';
import { runSuiteWebhook, type WebhookPayload } from './webhook';

export type GitHubGatesConfig = Extract<z.output<typeof gatesSchema>, { provider: 'github' }>;

export class GitHubGates implements GateProvider {
  constructor(private readonly config: GitHubGatesConfig) {}

  async devGateFacts(release: { version: string; commitSha: string }): Promise<DevGateFacts> {
    const client = this.client();
    const repo = this.config.repository.split('/').map(encodeURIComponent).join('/');
    const sha = encodeURIComponent(release.commitSha);
    const ref = this.config.codeScanningRef.replaceAll('{version}', release.version);
    const coverage = this.config.coverage;

    const [checkRuns, statuses, pulls, alerts] = await Promise.all([
      client.getAll(`/repos/${repo}/commits/${sha}/check-runs`, checkRunsPageSchema, (p) => p.check_runs),
      client.getAll(`/repos/${repo}/commits/${sha}/status`, combinedStatusPageSchema, (p) => p.statuses),
      client.getAll(`/repos/${repo}/commits/${sha}/pulls`, pullsPageSchema, (p) => p),
      client.getAll(
        `/repos/${repo}/code-scanning/alerts?state=open&ref=${encodeURIComponent(ref)}`,
        codeScanningAlertsPageSchema,
        (p) => p,
        {
          missingIsNull: true,
        },
      ),
    ]);

    let coverageFact: CoverageFact;
    if (coverage.from === 'commit-status') coverageFact = coverageFromStatus(statuses, coverage.context);
    else if (coverage.from === 'check-run') coverageFact = coverageFromCheckRun(checkRuns, coverage.name);
    else coverageFact = await coverageFromUrl(coverage.url, release.commitSha, this.config.timeout);

    const pull = pullFor(pulls, release.commitSha);
    const reviews =
      pull === null
        ? null
        : await client.getAll(`/repos/${repo}/pulls/${pull.number}/reviews`, reviewsPageSchema, (p) => p);

    return {
      checks: [...checkRuns.map(checkFromRun), ...statuses.map(checkFromStatus)],
      ...coverageFact,
      findings: alerts === null ? null : countBySeverity(alerts),
      findingsSource: `${webBase(this.config.apiBaseUrl)}/${this.config.repository}/security/code-scanning?query=${encodeURIComponent(`is:open ref:${ref}`)}`,
      review: pull === null || reviews === null ? null : reviewDecision(reviews, pull.html_url),
    };
  }

  /** Runs the staging suites one after another: a load test would skew E2E timings and vice versa. */
  stagingSuite(suite: StagingSuite, release: StagingRelease, attempt: number): Promise<SuiteOutcome> {
    const hooks = {
      'e2e-tests': ['e2e', this.config.e2e],
      'load-tests': ['load', this.config.load],
      'security-scan': ['security scan', this.config.securityScan],
    } as const;
    const [label, hook] = hooks[suite];
    const payload: WebhookPayload = {
      name: suite,
      version: release.version,
      commitSha: release.commitSha,
      environment: release.environment,
      phase: 'pre-rollout',
    };
    return runSuiteWebhook(label, hook, payload, attempt);
  }

  private client(): GitHubClient {
    const token = process.env[this.config.tokenEnv];
    if (token === undefined || token.trim() === '') {
      throw ApplicationFailure.nonRetryable(
        `the environment variable ${this.config.tokenEnv} (gates.tokenEnv) is not set on the worker; it must hold a GitHub token that can read checks, statuses, pull requests and code scanning of ${this.config.repository}`,
        'GitHubAuthError',
      );
    }
    return new GitHubClient({
      apiBaseUrl: this.config.apiBaseUrl,
      token: token.trim(),
      tokenEnv: this.config.tokenEnv,
      timeoutMs: this.config.timeout,
    });
  }
}

function checkFromRun(run: CheckRun): DevGateFacts['checks'][number] {
  return {
    name: run.name,
    conclusion: run.status === 'completed' ? (run.conclusion ?? 'pending') : 'pending',
    url: run.html_url ?? run.details_url ?? null,
  };
}

function checkFromStatus(status: CommitStatus): DevGateFacts['checks'][number] {
  return { name: status.context, conclusion: status.state, url: status.target_url ?? null };
}

/** The pull request that brought the commit in (merged as it, or with it as head), else any listed. */
export function pullFor(pulls: PullRequest[], commitSha: string): PullRequest | null {
  const sha = commitSha.toLowerCase();
  const same = (s: string | null | undefined): boolean =>
    s !== null && s !== undefined && s.toLowerCase().startsWith(sha);
  return (
    pulls.find((p) => p.merged_at && same(p.merge_commit_sha)) ??
    pulls.find((p) => same(p.head.sha)) ??
    pulls.find((p) => p.merged_at) ??
    pulls[0] ??
    null
  );
}

const DECISIVE = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

export function reviewDecision(reviews: Review[], source: string): NonNullable<DevGateFacts['review']> {
  const ordered = [...reviews].sort(
    (a, b) => (a.submitted_at ?? '').localeCompare(b.submitted_at ?? '') || a.id - b.id,
  );
  const latest = new Map<string, string>();
  for (const review of ordered) {
    if (review.user === null || !DECISIVE.has(review.state)) continue;
    latest.set(review.user.login, review.state);
  }
  const by = (state: string): string[] => [...latest].filter(([, s]) => s === state).map(([login]) => `@${login}`);
  const approvers = by('APPROVED');
  const changesRequestedBy = by('CHANGES_REQUESTED');
  return { approved: approvers.length > 0 && changesRequestedBy.length === 0, approvers, changesRequestedBy, source };
}

export function countBySeverity(alerts: CodeScanningAlert[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const alert of alerts) {
    const level = alert.rule.security_severity_level;
    if (alert.state === 'open' && level !== null && level !== undefined) counts[level] += 1;
  }
  return counts;
}

/** https://api.github.com → https://github.com; https://HOST/api/v3 → https://HOST (Enterprise Server). */
function webBase(apiBaseUrl: string): string {
  const url = new URL(apiBaseUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '')}`;
}
