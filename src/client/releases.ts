// Finding a release's workflow from its version. A version is promoted either as a standard release
// (release-<version>) or as a hotfix (hotfix-<version>); the running one wins, else the newest.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { hotfixWorkflowId, releaseWorkflowId } from '../shared/identifiers';
import type { ReleaseResult } from '../shared/release';
import type { RunSummary } from '../shared/rerun';
import { CommitShaAttribute, ReleaseStageAttribute } from '../shared/search-attributes';
import { ReleasePromotion, workflowHandle, type ReleaseHandle } from '../workflow-api';
import { ReleaseEndedError, ReleaseNotFoundError } from './errors';

export { ReleaseEndedError, ReleaseNotFoundError };

export async function findReleaseHandle(client: Client, version: string): Promise<ReleaseHandle> {
  const runs = await latestRuns(client, version);
  runs.sort((a, b) => Number(b.running) - Number(a.running) || b.startedAt.localeCompare(a.startedAt));
  const best = runs[0];
  if (!best)
    throw new ReleaseNotFoundError(
      `no release or hotfix of ${version} was found (looked for ${releaseWorkflowId(version)} and ${hotfixWorkflowId(version)})`,
    );
  return workflowHandle(client, ReleasePromotion, best.workflowId, best.runId);
}

/** The latest run of each of the version's workflow IDs that exists, with its outcome when it has ended. */
export async function latestRuns(client: Client, version: string): Promise<RunSummary[]> {
  // Both looked up at once: `status` waits for one round trip to the server, not two.
  const runs = await Promise.all(
    [releaseWorkflowId(version), hotfixWorkflowId(version)].map((id) => latestRun(client, id)),
  );
  return runs.filter((run): run is RunSummary => run !== null);
}

async function latestRun(client: Client, id: string): Promise<RunSummary | null> {
  const handle = client.workflow.getHandle(id);
  let d: Awaited<ReturnType<typeof handle.describe>>;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const running = d.status.name === 'RUNNING';
  const result = running ? null : await endedResult(workflowHandle(client, ReleasePromotion, id, d.runId));
  return {
    workflowId: id,
    runId: d.runId,
    running,
    commitSha: d.typedSearchAttributes.get(CommitShaAttribute) ?? null,
    stage: d.typedSearchAttributes.get(ReleaseStageAttribute) ?? null,
    outcome: result?.outcome ?? (running ? null : d.status.name),
    reason: result?.reason ?? null,
    startedAt: d.startTime.toISOString(),
    finishedAt: result?.finishedAt ?? d.closeTime?.toISOString() ?? null,
  };
}

async function endedResult(handle: ReleaseHandle): Promise<ReleaseResult | null> {
  try {
    return await handle.result();
  } catch {
    // Failed, terminated or cancelled by Temporal itself: no result, the status says how it ended.
    return null;
  }
}

/**
 * The running release of a version, to send a decision to. When the version's release has ended the
 * decision is pointless: ReleaseEndedError says "v2.1.0 ended REJECTED at <time>: <reason>".
 */
export async function runningRelease(client: Client, version: string): Promise<ReleaseHandle> {
  const runs = await latestRuns(client, version);
  const running = runs.find((r) => r.running);
  if (running) return workflowHandle(client, ReleasePromotion, running.workflowId, running.runId);
  const latest = runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (!latest)
    throw new ReleaseNotFoundError(
      `no release or hotfix of ${version} was found (looked for ${releaseWorkflowId(version)} and ${hotfixWorkflowId(version)})`,
    );
  throw new ReleaseEndedError(
    `${version} ended ${latest.outcome ?? 'without an outcome'} at ${latest.finishedAt ?? 'an unknown time'}${latest.reason ? `: ${latest.reason}` : ''}`,
  );
}

/** One particular run of a version's release (or hotfix), by its run ID. */
export async function findRun(client: Client, version: string, runId: string): Promise<ReleaseHandle> {
  for (const id of [releaseWorkflowId(version), hotfixWorkflowId(version)]) {
    const handle = workflowHandle(client, ReleasePromotion, id, runId);
    try {
      await handle.describe();
      return handle;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  throw new ReleaseNotFoundError(
    `no run ${runId} of ${version} was found (looked under ${releaseWorkflowId(version)} and ${hotfixWorkflowId(version)})`,
  );
}
