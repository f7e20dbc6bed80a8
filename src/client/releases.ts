// Finding a release's workflow from its version. A version is promoted either as a standard release
// (release-<version>) or as a hotfix (hotfix-<version>); the running one wins, else the newest.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { hotfixWorkflowId, releaseWorkflowId } from '../shared/identifiers';

export class ReleaseNotFoundError extends Error {
  override name = 'ReleaseNotFoundError';
}

export async function findReleaseHandle(client: Client, version: string): Promise<WorkflowHandle> {
  const candidates: Array<{ handle: WorkflowHandle; running: boolean; started: number }> = [];
  for (const id of [releaseWorkflowId(version), hotfixWorkflowId(version)]) {
    const handle = client.workflow.getHandle(id);
    try {
      const d = await handle.describe();
      candidates.push({ handle, running: d.status.name === 'RUNNING', started: d.startTime.getTime() });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  candidates.sort((a, b) => Number(b.running) - Number(a.running) || b.started - a.started);
  const best = candidates[0];
  if (!best) throw new ReleaseNotFoundError(`no release or hotfix of ${version} was found (looked for ${releaseWorkflowId(version)} and ${hotfixWorkflowId(version)})`);
  return best.handle;
}
