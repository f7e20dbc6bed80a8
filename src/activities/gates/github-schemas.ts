// The parts of GitHub's REST answers the dev gates read, as documented (API version 2022-11-28).
// Objects are not strict: GitHub adds fields, and only these must be present and well-typed.
import { z } from 'zod';

const nullableString = z.string().nullable().optional();

/** GET /repos/{owner}/{repo}/commits/{ref}/check-runs */
export const checkRunsPageSchema = z.object({
  total_count: z.number().int(),
  check_runs: z.array(
    z.object({
      name: z.string(),
      /** queued, in_progress, completed (also waiting, requested, pending) */
      status: z.string(),
      /** success, failure, neutral, cancelled, skipped, timed_out, action_required, stale; null until completed */
      conclusion: z.string().nullable(),
      html_url: nullableString,
      details_url: nullableString,
      output: z.object({ title: nullableString, summary: nullableString }).nullable().optional(),
    }),
  ),
});
export type CheckRun = z.output<typeof checkRunsPageSchema>['check_runs'][number];

/** GET /repos/{owner}/{repo}/commits/{ref}/status — the latest status per context. */
export const combinedStatusPageSchema = z.object({
  state: z.string(),
  statuses: z.array(
    z.object({
      context: z.string(),
      /** error, failure, pending, success */
      state: z.string(),
      description: nullableString,
      target_url: nullableString,
    }),
  ),
});
export type CommitStatus = z.output<typeof combinedStatusPageSchema>['statuses'][number];

/** GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls */
export const pullsPageSchema = z.array(
  z.object({
    number: z.number().int(),
    html_url: z.string(),
    state: z.string(),
    merged_at: nullableString,
    merge_commit_sha: nullableString,
    head: z.object({ sha: z.string() }),
  }),
);
export type PullRequest = z.output<typeof pullsPageSchema>[number];

/** GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews — oldest first. */
export const reviewsPageSchema = z.array(
  z.object({
    id: z.number(),
    /** null for deleted accounts */
    user: z.object({ login: z.string() }).nullable(),
    /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING */
    state: z.string(),
    submitted_at: nullableString,
  }),
);
export type Review = z.output<typeof reviewsPageSchema>[number];

/** GET /repos/{owner}/{repo}/code-scanning/alerts */
export const codeScanningAlertsPageSchema = z.array(
  z.object({
    number: z.number().int(),
    state: z.string(),
    rule: z.object({
      /** low, medium, high, critical; null for rules that are not about security (code quality) */
      security_severity_level: z.enum(['low', 'medium', 'high', 'critical']).nullable().optional(),
    }),
  }),
);
export type CodeScanningAlert = z.output<typeof codeScanningAlertsPageSchema>[number];
