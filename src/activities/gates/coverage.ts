// Reads the unit-test coverage percentage from where the CI reports it (gates.coverage.from):
//
// - commit-status: the description of the commit status with the configured context, e.g. Codecov's
//   "84.21% (+0.12%) compared to 1a2b3c4" → 84.21 (the first "N%" in the text).
// - check-run: the output title, else the output summary, of the check run with the configured name,
//   e.g. title "Coverage 84.2%" → 84.2.
// - url: a JSON document fetched without the GitHub token, {sha} in the URL replaced by the commit:
//   either {"coveragePct": 84.2} or Istanbul's json-summary (coverage-summary.json), whose
//   total.lines.pct is used.
//
// Not reported yet (no such status or check run, still pending, or the URL answers 404) is null, and
// the coverage gate fails with "not reported". Reported but unreadable (no percentage in the text, a
// JSON document of another shape) is a non-retryable MalformedCoverageReport naming what was read,
// because asking again reads the same text.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { CheckRun, CommitStatus } from './github-schemas';
import { describeNetworkError, oneLine, snippet } from '../../http/errors';
import { httpRequest } from '../../http/request';

export interface CoverageFact {
  coveragePct: number | null;
  coverageSource: string | null;
}

const PERCENT = /(\d+(?:\.\d+)?)\s*%/;

/** The first percentage in a text ("84.2% (+0.1%)" → 84.2), or null when it has none. */
export function percentIn(text: string): number | null {
  const match = PERCENT.exec(text);
  if (match?.[1] === undefined) return null;
  const value = Number(match[1]);
  return value <= 100 ? value : null;
}

export function coverageFromStatus(statuses: CommitStatus[], context: string): CoverageFact {
  const status = statuses.find((s) => s.context === context);
  if (status === undefined || status.state === 'pending')
    return { coveragePct: null, coverageSource: status?.target_url ?? null };
  const description = status.description ?? '';
  const pct = percentIn(description);
  if (pct === null) {
    throw ApplicationFailure.nonRetryable(
      `the commit status "${context}" (gates.coverage.context) has no percentage like "84.2%" in its description: "${description}"`,
      'MalformedCoverageReport',
    );
  }
  return { coveragePct: pct, coverageSource: status.target_url ?? `commit status "${context}"` };
}

export function coverageFromCheckRun(checkRuns: CheckRun[], name: string): CoverageFact {
  const run = checkRuns.find((r) => r.name === name);
  const source = run?.html_url ?? run?.details_url ?? null;
  if (run === undefined || run.status !== 'completed') return { coveragePct: null, coverageSource: source };
  const title = run.output?.title ?? '';
  const summary = run.output?.summary ?? '';
  const pct = percentIn(title) ?? percentIn(summary);
  if (pct === null) {
    throw ApplicationFailure.nonRetryable(
      `the check run "${name}" (gates.coverage.name) has no percentage like "84.2%" in its output title ("${oneLine(title)}") or summary ("${oneLine(summary).slice(0, 120)}")`,
      'MalformedCoverageReport',
    );
  }
  return { coveragePct: pct, coverageSource: source ?? `check run "${name}"` };
}

const pct = z.number().min(0).max(100);
const coverageDocumentSchema = z.union([
  z.object({ coveragePct: pct }).transform((d) => d.coveragePct),
  z.object({ total: z.object({ lines: z.object({ pct }) }) }).transform((d) => d.total.lines.pct),
]);

export async function coverageFromUrl(template: string, commitSha: string, timeoutMs: number): Promise<CoverageFact> {
  const url = template.replaceAll('{sha}', encodeURIComponent(commitSha));
  // Messages name the address without its query, which may carry a token.
  const where = safeAddress(url);
  let status: number;
  let body: string;
  try {
    ({ status, text: body } = await httpRequest({
      method: 'GET',
      url,
      headers: { Accept: 'application/json' },
      timeoutMs,
      // Coverage reports are often behind a CDN that redirects; no credentials are sent to them.
      followRedirects: true,
    }));
  } catch (err) {
    const reason = describeNetworkError(err, timeoutMs);
    throw new Error(`the coverage report at ${where} could not be fetched: ${reason}`);
  }
  if (status === 404) return { coveragePct: null, coverageSource: where };
  if (status >= 500 || status === 429 || status === 408)
    throw new Error(`the coverage report at ${where} failed with HTTP ${status}`);
  if (status < 200 || status >= 300) {
    throw ApplicationFailure.nonRetryable(
      `the coverage report at ${where} answered HTTP ${status}: ${snippet(body)}`,
      'CoverageReportUnavailable',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw ApplicationFailure.nonRetryable(
      `the coverage report at ${where} is not JSON: ${snippet(body)}`,
      'MalformedCoverageReport',
    );
  }
  const parsed = coverageDocumentSchema.safeParse(json);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `the coverage report at ${where} is neither {"coveragePct": <0-100>} nor an Istanbul json-summary with total.lines.pct: ${snippet(body)}`,
      'MalformedCoverageReport',
    );
  }
  return { coveragePct: parsed.data, coverageSource: where };
}

function safeAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(the configured coverage URL)';
  }
}
