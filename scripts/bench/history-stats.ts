// What each workflow cost, read from its event history: events, workflow tasks, activities, local
// activities, timers, and how long its tasks waited in the task queue before a worker took them
// (schedule-to-start: the worker's backlog, as the server saw it).
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mapLimit } from './processes';

type History = temporal.api.history.v1.IHistory;
type Timestamp = temporal.api.history.v1.IHistoryEvent['eventTime'];
const { WorkflowTaskFailedCause } = temporal.api.enums.v1;

/** The marker the SDK records for each local activity (patch markers are not work). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface WorkflowStats {
  workflowId: string;
  /** Runs counted (a workflow that continued as new has several). */
  runs: number;
  events: number;
  /** Completed workflow tasks: each is one activation of the workflow code on the worker. */
  workflowTasks: number;
  workflowTasksFailed: number;
  workflowTasksTimedOut: number;
  /** Why workflow tasks failed, by cause (e.g. UNHANDLED_COMMAND, RESET_STICKY_TASK_QUEUE). */
  failCauses: Map<string, number>;
  activities: number;
  /** Attempts beyond the first, over all activities (a retried activity shows its last attempt). */
  activityRetries: number;
  localActivities: number;
  timers: number;
  /** Time of the last event counted (ms since the epoch). */
  lastEventMs: number;
  wftScheduleToStartMs: number[];
  activityScheduleToStartMs: number[];
}

const toMs = (t: Timestamp): number => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : NaN);

/** The statistics of one history, counting only events up to `untilMs` (what it took to park). */
export function historyStats(workflowId: string, history: History, untilMs = Infinity): WorkflowStats {
  const stats: WorkflowStats = {
    workflowId,
    runs: 1,
    events: 0,
    workflowTasks: 0,
    workflowTasksFailed: 0,
    workflowTasksTimedOut: 0,
    failCauses: new Map(),
    activities: 0,
    activityRetries: 0,
    localActivities: 0,
    timers: 0,
    lastEventMs: NaN,
    wftScheduleToStartMs: [],
    activityScheduleToStartMs: [],
  };
  const scheduledAt = new Map<number, number>();
  for (const event of history.events ?? []) {
    const at = toMs(event.eventTime);
    if (at > untilMs) break;
    stats.events++;
    stats.lastEventMs = at;
    const id = Number(event.eventId);
    if (event.workflowTaskScheduledEventAttributes || event.activityTaskScheduledEventAttributes)
      scheduledAt.set(id, at);
    if (event.activityTaskScheduledEventAttributes) stats.activities++;
    if (event.workflowTaskCompletedEventAttributes) stats.workflowTasks++;
    if (event.workflowTaskTimedOutEventAttributes) stats.workflowTasksTimedOut++;
    if (event.timerStartedEventAttributes) stats.timers++;
    if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) stats.localActivities++;
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed) {
      stats.workflowTasksFailed++;
      const cause = (WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause)).replace(
        'WORKFLOW_TASK_FAILED_CAUSE_',
        '',
      );
      stats.failCauses.set(cause, (stats.failCauses.get(cause) ?? 0) + 1);
    }
    const wftStarted = event.workflowTaskStartedEventAttributes;
    if (wftStarted) {
      const scheduled = scheduledAt.get(Number(wftStarted.scheduledEventId));
      if (scheduled !== undefined) stats.wftScheduleToStartMs.push(at - scheduled);
    }
    const activityStarted = event.activityTaskStartedEventAttributes;
    if (activityStarted) {
      // The server writes this event when the activity ends, with the time its last attempt started.
      const scheduled = scheduledAt.get(Number(activityStarted.scheduledEventId));
      if (scheduled !== undefined && (activityStarted.attempt ?? 1) === 1)
        stats.activityScheduleToStartMs.push(at - scheduled);
      stats.activityRetries += Math.max(0, (activityStarted.attempt ?? 1) - 1);
    }
  }
  return stats;
}

export interface Execution {
  workflowId: string;
  /** Undefined: the latest run. */
  runId?: string;
}

/** Every run of every workflow whose tasks go to `taskQueue`: releases, ledgers (and their earlier runs), the rest. */
export async function executionsOn(client: Client, taskQueue: string): Promise<Execution[]> {
  const executions: Execution[] = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` }))
    executions.push({ workflowId: wf.workflowId, runId: wf.runId });
  return executions;
}

/** One workflow's runs added up. */
function merge(runs: WorkflowStats[]): WorkflowStats {
  const [first, ...rest] = runs as [WorkflowStats, ...WorkflowStats[]];
  const total: WorkflowStats = { ...first, failCauses: new Map(first.failCauses) };
  for (const run of rest) {
    total.runs += run.runs;
    total.events += run.events;
    total.workflowTasks += run.workflowTasks;
    total.workflowTasksFailed += run.workflowTasksFailed;
    total.workflowTasksTimedOut += run.workflowTasksTimedOut;
    total.activities += run.activities;
    total.activityRetries += run.activityRetries;
    total.localActivities += run.localActivities;
    total.timers += run.timers;
    total.lastEventMs = Math.max(total.lastEventMs, run.lastEventMs);
    total.wftScheduleToStartMs = [...total.wftScheduleToStartMs, ...run.wftScheduleToStartMs];
    total.activityScheduleToStartMs = [...total.activityScheduleToStartMs, ...run.activityScheduleToStartMs];
    for (const [cause, count] of run.failCauses)
      total.failCauses.set(cause, (total.failCauses.get(cause) ?? 0) + count);
  }
  return total;
}

/** Fetches and summarises the histories, a few at a time; one result per workflow ID, its runs added up. */
export async function fetchStats(
  client: Client,
  executions: readonly Execution[],
  untilMs: number,
): Promise<WorkflowStats[]> {
  const runs = await mapLimit(executions, 8, async ({ workflowId, runId }) =>
    historyStats(workflowId, await client.workflow.getHandle(workflowId, runId).fetchHistory(), untilMs),
  );
  const byId = new Map<string, WorkflowStats[]>();
  for (const run of runs) byId.set(run.workflowId, [...(byId.get(run.workflowId) ?? []), run]);
  return [...byId.values()].map(merge);
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);
