// Records and notifications finish even when the release is cancelled. A cancelled release still
// owes its audit trail every entry it began to write, and cancelling a one-second activity gains
// nothing: it only races the activity's completion (the time-skipping server then refuses the
// cancel request for an activity it no longer knows, and the workflow task fails).
// Patched: releases recorded before let a cancellation reach these activities.
import { CancellationScope, patched } from '@temporalio/workflow';

export const RECORDS_SURVIVE_CANCEL_PATCH = 'records-survive-cancel';

export function surviveCancel<T>(write: () => Promise<T>): Promise<T> {
  return patched(RECORDS_SURVIVE_CANCEL_PATCH) ? CancellationScope.nonCancellable(write) : write();
}
