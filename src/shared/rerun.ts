// One promotion per version. A CI job that runs again must not start the same version again, nor
// overwrite what its first promotion left behind: what happens to a start is decided from the
// version's latest runs (both tracks, release-<v> and hotfix-<v>). Pure, table-tested.
import { parseReleaseWorkflowId } from './identifiers';
import type { EarlierRun, ReleaseKind } from './release';

/** The latest run of one workflow ID of a version. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  running: boolean;
  commitSha: string | null;
  /** The ReleaseStage search attribute while running; the outcome (PROMOTED, …) or Temporal's status when ended. */
  stage: string | null;
  outcome: string | null;
  reason: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export type RerunDecision =
  | { action: 'start'; repeatOf: EarlierRun | null }
  /** Nothing to start: the same promotion exists; exit 0 with this message. */
  | { action: 'existing'; workflowId: string; message: string }
  | { action: 'refuse'; message: string };

export function rerunDecision(
  runs: RunSummary[],
  request: { kind: ReleaseKind; commitSha: string; again: boolean },
  version = versionOf(runs),
): RerunDecision {
  const running = runs.find((r) => r.running);
  if (running) {
    const sameCommit =
      running.commitSha === request.commitSha && parseReleaseWorkflowId(running.workflowId)?.kind === request.kind;
    if (sameCommit)
      return {
        action: 'existing',
        workflowId: running.workflowId,
        message: `${version} is already being promoted from ${short(running.commitSha)} (${running.workflowId}, ${running.stage ?? 'running'}); nothing started`,
      };
    return {
      action: 'refuse',
      message: `${version} is already being promoted (${running.workflowId} is running, from commit ${short(running.commitSha)}); see "release-promote status ${version}"`,
    };
  }
  const latest = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (latest === undefined || latest.outcome !== 'PROMOTED') return { action: 'start', repeatOf: null };
  const earlier: EarlierRun = {
    workflowId: latest.workflowId,
    runId: latest.runId,
    outcome: latest.outcome,
    finishedAt: latest.finishedAt,
  };
  if (request.again) return { action: 'start', repeatOf: earlier };
  const when = latest.finishedAt ? ` at ${latest.finishedAt}` : '';
  if (latest.commitSha === request.commitSha) {
    return {
      action: 'existing',
      workflowId: latest.workflowId,
      message: `${version} was already promoted from ${short(latest.commitSha)}${when} (${latest.workflowId}): PROMOTED${latest.reason ? ` — ${latest.reason}` : ''}; nothing started (to promote it again on purpose: --again)`,
    };
  }
  return {
    action: 'refuse',
    message: `${version} was already promoted from commit ${short(latest.commitSha)}${when} (${latest.workflowId}); a version is promoted once: tag a new version, or pass --again to promote ${version} a second time`,
  };
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 12) : 'an unknown commit';
}

function versionOf(runs: RunSummary[]): string {
  return (runs[0] && parseReleaseWorkflowId(runs[0].workflowId)?.version) ?? 'the version';
}
