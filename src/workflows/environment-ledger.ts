// One long-lived workflow per environment (ID environment-<name>): it grants the environment to one
// release or rollback at a time, queues the others in view of everyone, and keeps the version
// records. Updates are serialized by the workflow, so concurrent promotions never lose a record.
// Leases are asked for and handed on by signal (any number may wait); the Updates remain for the
// releases and rollbacks whose code still uses them.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { environmentGrantedSignal } from '../shared/messages';
import {
  acquireEnvironmentUpdate,
  environmentRecordsQuery,
  leaseAnswerSignal,
  recordVersionUpdate,
  releaseEnvironmentUpdate,
  releaseLeaseSignal,
  requestLeaseSignal,
  type EnvironmentRecords,
  type LeaseAnswer,
  type LeaseRelease,
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
  /** Lease signals received by this run (a lull in them is when to continue as new). */
  let messages = 0;

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

  /** Grants the environment at once when it is free, else queues the request (rollbacks in front). */
  const request = (req: LeaseRequest): LeaseAnswer => {
    if (state.lease?.workflowId === req.workflowId) return { granted: true, holder: state.lease, position: 0 };
    const queued = state.queue.findIndex((q) => q.workflowId === req.workflowId);
    if (queued >= 0) return { granted: false, holder: state.lease ?? blockedHolder(), position: queued + 1 };
    if (state.lease === null && state.queue.length === 0 && (!state.blocked || req.preempt)) {
      state.lease = { workflowId: req.workflowId, purpose: req.purpose, since: new Date().toISOString() };
      return { granted: true, holder: state.lease, position: 0 };
    }
    if (req.preempt) {
      const firstOrdinary = state.queue.findIndex((q) => !q.preempt);
      state.queue.splice(firstOrdinary < 0 ? state.queue.length : firstOrdinary, 0, req);
    } else {
      state.queue.push(req);
    }
    return {
      granted: false,
      holder: state.lease ?? blockedHolder(),
      position: state.queue.findIndex((q) => q.workflowId === req.workflowId) + 1,
    };
  };

  /** The holder (or a queued release) lets go: the next in line gets the environment. */
  const leave = async ({ workflowId, blockedBecause }: LeaseRelease) => {
    state.queue = state.queue.filter((q) => q.workflowId !== workflowId);
    if (state.lease?.workflowId === workflowId) {
      if (blockedBecause) state.blocked = { workflowId, reason: blockedBecause, since: new Date().toISOString() };
      state.lease = null;
      await grantNext();
    }
  };

  setHandler(environmentRecordsQuery, () => state);
  setHandler(acquireEnvironmentUpdate, request);
  setHandler(releaseEnvironmentUpdate, leave);
  setHandler(requestLeaseSignal, async (req) => {
    messages++;
    const answer = request(req);
    try {
      await getExternalWorkflowHandle(req.workflowId).signal(leaseAnswerSignal, {
        environment: input.environment,
        ...answer,
      });
    } catch {
      // The requester ended before its answer arrived: it neither holds nor waits for the environment.
      await leave({ workflowId: req.workflowId });
    }
  });
  setHandler(releaseLeaseSignal, async (release) => {
    messages++;
    await leave(release);
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
  // A continue-as-new that meets a signal arriving is refused by the server (UnhandledCommand) and
  // tried again, over and over during a burst of requests: wait for a lull first, unless the
  // history is already long. Patched: ledgers recorded before continued at once.
  if (patched(QUIET_CONTINUE_PATCH)) {
    for (let seen = messages; workflowInfo().historyLength < CONTINUE_REGARDLESS_AT; seen = messages) {
      if (!(await condition(() => messages !== seen, QUIET_BEFORE_CONTINUE))) break;
    }
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof environmentLedger>({ environment: input.environment, state });
}

export const QUIET_CONTINUE_PATCH = 'ledger-quiet-continue';
/** How long without a request or a hand-on before the ledger continues as new. */
const QUIET_BEFORE_CONTINUE = '2s';
/** Well under the server's history limits (warning at 10K events, failure at 50K). */
const CONTINUE_REGARDLESS_AT = 20_000;
