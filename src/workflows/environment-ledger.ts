// One long-lived workflow per environment (ID environment-<name>): it grants the environment to one
// release or rollback at a time, queues the others in view of everyone, and keeps the version
// records. Updates are serialized by the workflow, so concurrent promotions never lose a record.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { environmentGrantedSignal } from '../shared/messages';
import {
  acquireEnvironmentUpdate,
  environmentRecordsQuery,
  recordVersionUpdate,
  releaseEnvironmentUpdate,
  type EnvironmentRecords,
  type LeaseRequest,
  emptyRecords,
  type EnvironmentLedgerInput,
} from '../shared/ledger';
import { activities } from './activity-proxies';

const KEEP_PREVIOUS = 50;
const LEASE_CHECK_INTERVAL = '1h';

export async function environmentLedger(input: EnvironmentLedgerInput): Promise<void> {
  const state: EnvironmentRecords = input.state ?? emptyRecords(input.environment);
  const exportRecords = activities('record', `export ${input.environment} version records`);
  const checks = activities('check', `is the ${input.environment} lease holder still running?`);
  let exportsPending = 0;

  const exportNow = async () => {
    exportsPending++;
    try {
      await exportRecords.exportVersionRecords(JSON.parse(JSON.stringify(state)) as EnvironmentRecords);
    } finally {
      exportsPending--;
    }
  };

  /** While blocked, only rollbacks (which come to repair it) may have the environment. */
  const nextInLine = () => (state.blocked ? state.queue.findIndex((q) => q.preempt) : state.queue.length > 0 ? 0 : -1);
  const blockedHolder = () =>
    state.blocked
      ? {
          workflowId: state.blocked.workflowId,
          purpose: `blocked: ${state.blocked.reason}; a rollback must repair it first`,
          since: state.blocked.since,
        }
      : null;

  const grantNext = async () => {
    for (let at = nextInLine(); state.lease === null && at >= 0; at = nextInLine()) {
      const [next] = state.queue.splice(at, 1) as [LeaseRequest];
      state.lease = { workflowId: next.workflowId, purpose: next.purpose, since: new Date().toISOString() };
      try {
        await getExternalWorkflowHandle(next.workflowId).signal(environmentGrantedSignal, {
          environment: input.environment,
        });
      } catch {
        // The waiting workflow has ended (cancelled or terminated while queued): offer it to the next one.
        state.lease = null;
      }
    }
  };

  setHandler(environmentRecordsQuery, () => state);

  setHandler(acquireEnvironmentUpdate, (request: LeaseRequest) => {
    if (state.lease?.workflowId === request.workflowId) return { granted: true, holder: state.lease, position: 0 };
    const queued = state.queue.findIndex((q) => q.workflowId === request.workflowId);
    if (queued >= 0) return { granted: false, holder: state.lease, position: queued + 1 };
    if (state.lease === null && state.queue.length === 0 && (!state.blocked || request.preempt)) {
      state.lease = { workflowId: request.workflowId, purpose: request.purpose, since: new Date().toISOString() };
      return { granted: true, holder: state.lease, position: 0 };
    }
    if (request.preempt) {
      const firstOrdinary = state.queue.findIndex((q) => !q.preempt);
      state.queue.splice(firstOrdinary < 0 ? state.queue.length : firstOrdinary, 0, request);
    } else {
      state.queue.push(request);
    }
    return {
      granted: false,
      holder: state.lease ?? blockedHolder(),
      position: state.queue.findIndex((q) => q.workflowId === request.workflowId) + 1,
    };
  });

  setHandler(releaseEnvironmentUpdate, async ({ workflowId, blockedBecause }) => {
    state.queue = state.queue.filter((q) => q.workflowId !== workflowId);
    if (state.lease?.workflowId === workflowId) {
      if (blockedBecause) state.blocked = { workflowId, reason: blockedBecause, since: new Date().toISOString() };
      state.lease = null;
      await grantNext();
    }
  });

  setHandler(recordVersionUpdate, async (record) => {
    const duplicate =
      record.workflowId !== null &&
      state.current?.workflowId === record.workflowId &&
      state.current.version === record.version &&
      state.current.action === record.action;
    if (!duplicate) {
      if (state.current) state.previous = [state.current, ...state.previous].slice(0, KEEP_PREVIOUS);
      state.current = record;
      state.revision++;
    }
    // A rollback that verified, or a person recording what runs, says the environment is known again:
    // the releases queued behind the block may go on.
    if (record.action !== 'promote' && state.blocked) {
      state.blocked = null;
      await grantNext();
    }
    // Answer with this update's own result: other updates may change the state while it exports.
    const applied = JSON.parse(JSON.stringify(state)) as EnvironmentRecords;
    await exportNow();
    return applied;
  });

  // Hourly, free a lease whose holder ended without releasing it (terminated, or failed hard), so the
  // queue behind it moves on. Keep the history short: hand the state to a fresh run when the server
  // suggests it and nothing is in flight.
  const readyToContinue = () => workflowInfo().continueAsNewSuggested && exportsPending === 0;
  while (!(await condition(readyToContinue, LEASE_CHECK_INTERVAL))) {
    const holder = state.lease?.workflowId;
    if (!holder) continue;
    const running = await checks.isWorkflowRunning({ workflowId: holder });
    if (!running && state.lease?.workflowId === holder) {
      state.lease = null;
      await grantNext();
    }
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof environmentLedger>({ environment: input.environment, state });
}
