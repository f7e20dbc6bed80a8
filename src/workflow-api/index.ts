// Typed access to this application's workflows through the Temporal client: each workflow has one
// definition here (its type name and its signature), and starting one or getting its handle goes
// through it, so a renamed workflow or a changed input fails to compile wherever it is used
// (test/unit/workflow-api.test.ts checks the definitions against the implementations).
// Messages (queries, updates, signals) are typed by their definitions in src/shared/messages.ts.
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowHandleWithSignaledRunId,
  type WorkflowIdConflictPolicy,
  type WorkflowSignalWithStartOptions,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { WithWorkflowArgs } from '@temporalio/common';
import {
  emptyRecords,
  environmentRecordsQuery,
  type EnvironmentLedgerInput,
  type EnvironmentRecords,
  type ManualRecordInput,
  type ManualRecordResult,
} from '../shared/ledger';
import { environmentWorkflowId } from '../shared/identifiers';
import type { ReleaseResult } from '../shared/release';
import type { ReleaseRunInput } from '../shared/carried-release';
import type { ManualRollbackInput, ManualRollbackResult } from '../shared/rollback';
import type { VerificationRequest, VerificationOutcome } from '../shared/verification';

/** The signature of every workflow the workers run, by its type name (the export of src/workflows). */
export interface WorkflowTypes {
  releasePromotion(input: ReleaseRunInput): Promise<ReleaseResult>;
  hotfixPromotion(input: ReleaseRunInput): Promise<ReleaseResult>;
  environmentLedger(input: EnvironmentLedgerInput): Promise<void>;
  manualRollback(input: ManualRollbackInput): Promise<ManualRollbackResult>;
  manualVersionRecord(input: ManualRecordInput): Promise<ManualRecordResult>;
  environmentVerification(input: VerificationRequest): Promise<VerificationOutcome>;
}

export interface WorkflowDefinition<K extends keyof WorkflowTypes> {
  readonly workflowType: K;
}

const define = <K extends keyof WorkflowTypes>(workflowType: K): WorkflowDefinition<K> => ({ workflowType });

export const ReleasePromotion = define('releasePromotion');
export const HotfixPromotion = define('hotfixPromotion');
export const EnvironmentLedger = define('environmentLedger');
export const ManualRollback = define('manualRollback');
export const ManualVersionRecord = define('manualVersionRecord');
export const EnvironmentVerification = define('environmentVerification');

export type WorkflowOf<K extends keyof WorkflowTypes> = WorkflowTypes[K];

/** A release's handle (a hotfix runs the same workflow). */
export type ReleaseHandle = WorkflowHandle<WorkflowOf<'releasePromotion'>>;

export function startWorkflow<K extends keyof WorkflowTypes>(
  client: Client,
  definition: WorkflowDefinition<K>,
  options: WorkflowStartOptions<WorkflowOf<K>>,
): Promise<WorkflowHandleWithFirstExecutionRunId<WorkflowOf<K>>> {
  return client.workflow.start<WorkflowOf<K>>(definition.workflowType, options);
}

/** A handle on a run of the workflow `definition` names (its latest run when `runId` is omitted). */
export function workflowHandle<K extends keyof WorkflowTypes>(
  client: Client,
  _definition: WorkflowDefinition<K>,
  workflowId: string,
  runId?: string,
): WorkflowHandle<WorkflowOf<K>> {
  return client.workflow.getHandle<WorkflowOf<K>>(workflowId, runId);
}

/** The start half of an update-with-start. */
export function startOperation<K extends keyof WorkflowTypes>(
  definition: WorkflowDefinition<K>,
  options: WorkflowStartOptions<WorkflowOf<K>> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy },
): WithStartWorkflowOperation<WorkflowOf<K>> {
  return new WithStartWorkflowOperation<WorkflowOf<K>>(definition.workflowType, options);
}

/** Signals a workflow, starting it first when it does not run (the signal is its first event then). */
export function signalWithStartWorkflow<K extends keyof WorkflowTypes, A extends unknown[]>(
  client: Client,
  definition: WorkflowDefinition<K>,
  options: WithWorkflowArgs<WorkflowOf<K>, WorkflowSignalWithStartOptions<A>>,
): Promise<WorkflowHandleWithSignaledRunId<WorkflowOf<K>>> {
  return client.workflow.signalWithStart<WorkflowOf<K>, A>(definition.workflowType, options);
}

/**
 * An environment's version records, from its ledger; empty when no ledger was ever started there.
 * Any other failure (Temporal unreachable, no worker to answer) is an error, never "nothing recorded".
 */
export async function readEnvironmentRecords(
  client: Client,
  environment: string,
  taskQueue: string,
): Promise<EnvironmentRecords> {
  try {
    return await workflowHandle(client, EnvironmentLedger, environmentWorkflowId(environment, taskQueue)).query(
      environmentRecordsQuery,
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return emptyRecords(environment);
    throw err;
  }
}
