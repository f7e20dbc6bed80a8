// A worker over the simulated target in a fresh temporary directory, for workflow tests on either
// Temporal server. Notifications are recorded instead of sent (or, with `notifier`, recorded and
// then sent through it, e.g. a real SlackNotifier pointed at a fake Slack); everything else is
// production code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import {
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { createActivities } from '../../src/activities';
import type { Notifier } from '../../src/activities/ports';
import type { Notification } from '../../src/shared/notifications';
import { activityDeps } from '../../src/activities/deps';
import type { ActivityDeps } from '../../src/activities';
import { startRelease, type StartRequest } from '../../src/client/start-release';
import { admissionUpdate, approveUpdate, statusQuery } from '../../src/shared/messages';
import { environmentWorkflowId } from '../../src/shared/identifiers';
import type { ReleaseStatus, ReleaseStage } from '../../src/shared/release';
import { workflowBundle } from './workflow-bundle';
import type { releasePromotion } from '../../src/workflows/release-promotion';
import { eventually } from './eventually';

export interface Harness {
  config: Config;
  dir: string;
  client: Client;
  worker: Worker;
  notifications: Notification[];
  /** Starts a release (its admission included) and returns its handle; fails if nothing started. */
  start(req?: Partial<StartRequest>): Promise<WorkflowHandleWithFirstExecutionRunId<typeof releasePromotion>>;
  status(handle: WorkflowHandle): Promise<ReleaseStatus>;
  /** Polls the status query (real time) until the release reaches one of the stages. */
  waitForStage(handle: WorkflowHandle, ...stages: ReleaseStage[]): Promise<ReleaseStatus>;
  /** What its worker's activities are built from (for a second worker that shares its ledgers). */
  deps: ActivityDeps;
  /** Ends this harness's environment ledgers (they outlive its worker) and removes its directory. */
  cleanup(): Promise<void>;
}

export const APPROVERS = ['@alice', '@bob', '@carol'];
/** On call: may roll back, cancel and record versions, but not approve (a second role, as installations have). */
export const OPERATORS = ['@oncall'];

export async function createHarness(
  env: TestWorkflowEnvironment,
  options: { scenario?: string; config?: Record<string, unknown>; taskQueue?: string; notifier?: Notifier } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-test-'));
  const taskQueue = options.taskQueue ?? `release-promote-test-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig(
    {
      temporal: { taskQueue },
      permissions: {
        rollback: ['RELEASE_APPROVER', 'RELEASE_OPERATOR'],
        cancel: ['RELEASE_APPROVER', 'RELEASE_OPERATOR'],
        'update-sot': ['RELEASE_APPROVER', 'RELEASE_OPERATOR'],
      },
      simulation: { scenario: options.scenario ?? 'healthy', stateDir: join(dir, 'simulated') },
      records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
      ...options.config,
      // A test's own roles replace the approvers; the on-call role stays unless it names one itself.
      roles: {
        RELEASE_APPROVER: APPROVERS,
        RELEASE_OPERATOR: OPERATORS,
        ...(options.config?.roles as Record<string, string[]> | undefined),
      },
    },
    'test config',
  );
  const notifications: Notification[] = [];
  const { notifier } = options;
  const deps = activityDeps(config, env.client, {
    notifier: {
      send: (n) => {
        notifications.push(n);
        if (notifier !== undefined) return notifier.send(n);
        return Promise.resolve({ threadTs: n.threadTs ?? `${n.workflowId}-thread` });
      },
    },
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
  const started: string[] = [];
  return {
    config,
    dir,
    deps,
    client: env.client,
    worker,
    notifications,
    async start(req = {}) {
      const outcome = await startRelease(env.client, config, {
        version: 'v1.2.3',
        commitSha: 'abc1234def5678',
        requestedBy: '@dev',
        ciRunId: '12345',
        ...req,
      });
      if (!outcome.started) throw new Error(`nothing started: ${outcome.message}`);
      started.push(outcome.handle.workflowId);
      return outcome.handle;
    },
    status: (handle) => handle.query(statusQuery),
    async waitForStage(handle, ...stages) {
      let last = '';
      return eventually(
        `${handle.workflowId} to reach ${stages.join(' or ')}`,
        async () => {
          const s = await handle.query(statusQuery);
          last = s.stage;
          return stages.includes(s.stage) ? s : undefined;
        },
        { describe: () => `it stayed in ${last}` },
      );
    },
    async cleanup() {
      // A release a failed assertion left running, or a ledger, would hold up time skipping for later
      // tests once its worker is gone.
      const workflowIds = [
        ...started,
        ...Object.keys(config.environments).map((environment) => environmentWorkflowId(environment, taskQueue)),
      ];
      for (const workflowId of workflowIds) {
        await env.client.workflow
          .getHandle(workflowId)
          .terminate('test finished')
          .catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Time between two stage transitions of a release, on the workflow's clock. */
export function stageGapMs(status: ReleaseStatus, from: ReleaseStage, to: ReleaseStage): number {
  const a = status.history.find((t) => t.to === from);
  const b = status.history.find((t) => t.to === to);
  if (!a || !b) throw new Error(`no transition to ${!a ? from : to} in ${status.history.map((t) => t.to).join(' → ')}`);
  return Date.parse(b.at) - Date.parse(a.at);
}

/** Runs `fn` with a fresh harness whose worker runs meanwhile, and cleans up after. */
export async function withHarness(
  env: TestWorkflowEnvironment,
  options: Parameters<typeof createHarness>[1],
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await createHarness(env, options);
  try {
    await h.worker.runUntil(fn(h));
  } finally {
    await h.cleanup();
  }
}

/** The reason an update's validator gave for refusing it; fails if the update was accepted. */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw new Error(`expected a refused update, got ${String(err)}`);
    return (err.cause as Error).message;
  }
  throw new Error('the update was accepted');
}

/** The durations of every timer the workflow started, from its history. */
export async function timerDurationsMs(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.timerStartedEventAttributes?.startToFireTimeout)
    .filter((t) => t != null)
    .map((t) => Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6));
}

/** Decisions accepted into a release's history (the starter's admission update is not one). */
export async function acceptedDecisions(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    return accepted && accepted.acceptedRequest?.input?.name !== admissionUpdate.name;
  }).length;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** An approval as a person sends it from the CLI (or another channel). */
export function approve(handle: WorkflowHandle, approver: string, channel: 'cli' | 'slack' = 'cli') {
  return handle.executeUpdate(approveUpdate, { args: [{ approver, channel }] });
}
