// Starting the actions on an environment, a manual rollback or a version recorded by hand: each is a
// short workflow that reads the installation's policy and decides (who may act, which environments
// exist, which versions a rollback may target); the starter waits for that decision.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../config/schema';
import {
  environmentProblem,
  identityProblem,
  manualRecordWorkflowId,
  rollbackWorkflowId,
  versionProblem,
} from '../shared/identifiers';
import type { ManualRecordInput, ManualRecordResult } from '../shared/ledger';
import type { ManualRollbackInput, ManualRollbackResult } from '../shared/rollback';
import {
  ReleaseEnvironmentAttribute,
  ReleaseKindAttribute,
  ReleaseStageAttribute,
  RequestedByAttribute,
} from '../shared/search-attributes';
import { ManualRollback, ManualVersionRecord, startWorkflow, type WorkflowOf } from '../workflow-api';
import { awaitAdmission } from './admission';
import { InvalidInputError } from './errors';

export interface RollbackRequest {
  environment: string;
  version?: string;
  requestedBy: string;
  channel?: 'cli' | 'slack';
}

export async function startManualRollback(
  client: Client,
  config: Pick<Config, 'temporal'>,
  req: RollbackRequest,
): Promise<{ handle: WorkflowHandle<WorkflowOf<'manualRollback'>>; workflowId: string; message: string }> {
  const problem =
    environmentProblem(req.environment) ??
    (req.version ? versionProblem(req.version) : null) ??
    identityProblem(req.requestedBy);
  if (problem) throw new InvalidInputError(problem);
  const input: ManualRollbackInput = {
    environment: req.environment,
    version: req.version ?? null,
    requestedBy: req.requestedBy,
    channel: req.channel ?? 'cli',
  };
  const workflowId = rollbackWorkflowId(req.environment, new Date());
  const handle = await startWorkflow(client, ManualRollback, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: ReleaseEnvironmentAttribute, value: req.environment },
      { key: ReleaseKindAttribute, value: 'rollback' },
      { key: ReleaseStageAttribute, value: 'RESOLVING' },
      { key: RequestedByAttribute, value: req.requestedBy },
    ],
    staticSummary: `Rollback of ${req.environment} to ${req.version ?? 'its previous version'} by ${req.requestedBy}`,
    staticDetails: `Manual rollback of **${req.environment}** to **${req.version ?? 'its previous version'}**, requested by ${req.requestedBy}. Allowed by the installation's policy or refused at once; takes precedence over an in-flight promotion (cancelled and compensated first); ends with verification of every service.`,
  });
  const admission = await awaitAdmission(client, config.temporal.taskQueue, handle);
  return { handle, workflowId, message: admission.message };
}

export interface RecordRequest {
  environment: string;
  version: string;
  promotedBy: string;
  promotedAt: string;
  channel?: 'cli' | 'slack';
}

export async function recordVersionByHand(
  client: Client,
  config: Pick<Config, 'temporal'>,
  req: RecordRequest,
): Promise<ManualRecordResult & { workflowId: string }> {
  const problem =
    environmentProblem(req.environment) ??
    versionProblem(req.version) ??
    identityProblem(req.promotedBy) ??
    (Number.isNaN(Date.parse(req.promotedAt))
      ? `"${req.promotedAt}" is not an ISO time like 2025-10-05T12:00:00Z`
      : null);
  if (problem) throw new InvalidInputError(problem);
  const input: ManualRecordInput = {
    ...req,
    promotedAt: new Date(req.promotedAt).toISOString(),
    channel: req.channel ?? 'cli',
  };
  const handle = await startWorkflow(client, ManualVersionRecord, {
    workflowId: manualRecordWorkflowId(req.environment, new Date()),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: ReleaseEnvironmentAttribute, value: req.environment },
      { key: ReleaseKindAttribute, value: 'record' },
      { key: RequestedByAttribute, value: req.promotedBy },
    ],
    staticSummary: `${req.environment}: record ${req.version} by hand (${req.promotedBy})`,
  });
  await awaitAdmission(client, config.temporal.taskQueue, handle);
  return { ...(await handle.result()), workflowId: handle.workflowId };
}

export type { ManualRollbackResult };
