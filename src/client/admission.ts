// Waiting for a workflow's answer: the workflow reads the installation's policy and decides whether
// the start is allowed; a refusal becomes one line and exit code 2, like any refused input. A worker
// must run the workflow for it to answer: when none does within the wait, say so (exit 1) instead of
// hanging; what was started stays durable and goes on when a worker polls.
import {
  WorkflowUpdateFailedError,
  type Client,
  type WithStartWorkflowOperation,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { formatDuration } from '../shared/duration-format';
import { admissionUpdate, REFUSED_ERROR_TYPE, type Admission } from '../shared/messages';
import { InvalidInputError, NoWorkerError } from './errors';

/** How long the CLI waits for a worker to answer (RELEASE_PROMOTE_WORKER_WAIT, a number of seconds). */
export function workerWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.RELEASE_PROMOTE_WORKER_WAIT ?? 30);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}

/** Runs a call that needs a worker to answer; after `waitMs` without an answer, NoWorkerError says what to check. */
export async function answeredByWorker<T>(
  client: Client,
  taskQueue: string,
  what: string,
  call: () => Promise<T>,
  waitMs = workerWaitMs(),
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(
        new NoWorkerError(
          `no worker answered within ${formatDuration(waitMs)} (${what}): is a worker running on task queue "${taskQueue}"? Start one with "release-promote worker"`,
        ),
      );
    }, waitMs);
  });
  try {
    return await Promise.race([client.withAbortSignal(abort.signal, call), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function awaitAdmission(client: Client, taskQueue: string, handle: WorkflowHandle): Promise<Admission> {
  return refusalAsInput(() =>
    answeredByWorker(client, taskQueue, `${handle.workflowId} was started and waits for a worker to admit it`, () =>
      handle.executeUpdate(admissionUpdate),
    ),
  );
}

/** The admission asked together with the start (update-with-start): the workflow's first task answers it. */
export async function admissionWithStart(
  client: Client,
  taskQueue: string,
  workflowId: string,
  startWorkflowOperation: WithStartWorkflowOperation<Workflow>,
): Promise<Admission> {
  return refusalAsInput(() =>
    answeredByWorker(client, taskQueue, `${workflowId} was started and waits for a worker to admit it`, () =>
      client.workflow.executeUpdateWithStart(admissionUpdate, { startWorkflowOperation }),
    ),
  );
}

async function refusalAsInput(ask: () => Promise<Admission>): Promise<Admission> {
  try {
    return await ask();
  } catch (err) {
    if (
      err instanceof WorkflowUpdateFailedError &&
      (err.cause as { type?: string } | undefined)?.type === REFUSED_ERROR_TYPE
    ) {
      throw new InvalidInputError(`refused: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}
