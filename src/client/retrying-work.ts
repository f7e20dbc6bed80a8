// What a release is waiting on that its own status cannot say: an activity that keeps failing and is
// being retried (the records store is down, a cluster is unreachable). Read from the server's
// description of the workflow, so `status` shows it even while the workflow itself is blocked on it.
import type { WorkflowHandle } from '@temporalio/client';

export interface RetryingWork {
  /** The activity type, e.g. appendAudit. */
  activity: string;
  /** What it does, in words. */
  what: string;
  attempt: number;
  lastFailure: string | null;
  nextAttemptAt: string | null;
}

const WHAT: Record<string, string> = {
  appendAudit: 'writing an audit record to the records store',
  writeEvidence: 'keeping the evidence in the records store',
  recordBatch: 'writing audit records and evidence to the records store',
  requestEnvironment: 'asking for the environment',
  leaveEnvironment: 'handing the environment on',
  exportVersionRecords: 'exporting the version records to the records store',
  acquireEnvironment: 'taking the environment',
  releaseEnvironment: 'handing the environment on',
  recordVersion: 'recording the version',
  notify: 'sending a notification',
};

export async function retryingWork(handle: WorkflowHandle): Promise<RetryingWork[]> {
  const description = await handle.describe().catch(() => null);
  const pending = description?.raw.pendingActivities ?? [];
  return pending
    .filter((a) => (a.attempt ?? 1) > 1 && a.lastFailure)
    .map((a) => {
      const activity = a.activityType?.name ?? 'activity';
      const next = a.nextAttemptScheduleTime?.seconds;
      return {
        activity,
        what: WHAT[activity] ?? activity,
        attempt: a.attempt ?? 1,
        lastFailure: a.lastFailure?.message?.split('\n')[0] ?? null,
        nextAttemptAt: next == null ? null : new Date(Number(next) * 1000).toISOString(),
      };
    });
}

/** Rows for `status`: what is being retried, the attempt, the next try and why the last failed. */
export function retryingRows(work: RetryingWork[]): Array<[string, string]> {
  return work.map((w) => [
    'retrying',
    `${w.what}: attempt ${w.attempt}${w.nextAttemptAt ? `, next at ${w.nextAttemptAt}` : ''} — last failure: ${w.lastFailure ?? 'unknown'}`,
  ]);
}
