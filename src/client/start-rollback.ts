// Starting a manual rollback: the environment must exist, and a named version must be one that once
// ran there (refused before anything starts, with the list of valid versions).
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { environmentRecordsQuery, previousVersion, rollbackCandidates } from '../shared/ledger';
import { environmentWorkflowId, identityProblem, rollbackWorkflowId, versionProblem } from '../shared/identifiers';
import type { ManualRollbackInput, ManualRollbackResult } from '../shared/rollback';
import { ReleaseEnvironmentAttribute, ReleaseKindAttribute, ReleaseStageAttribute, RequestedByAttribute } from '../shared/search-attributes';
import { InvalidInputError } from './start-release';

export interface RollbackRequest {
  environment: string;
  version?: string;
  requestedBy: string;
}

export async function startManualRollback(client: Client, config: Config, namespace: string, req: RollbackRequest) {
  if (!(req.environment in config.environments)) {
    throw new InvalidInputError(`unknown environment "${req.environment}" (known: ${Object.keys(config.environments).join(', ')})`);
  }
  const problem = (req.version ? versionProblem(req.version) : null) ?? identityProblem(req.requestedBy);
  if (problem) throw new InvalidInputError(problem);
  const records = await client.workflow
    .getHandle(environmentWorkflowId(req.environment, config.temporal.taskQueue))
    .query(environmentRecordsQuery)
    .catch(() => null);
  const candidates = records ? rollbackCandidates(records) : [];
  if (req.version && !candidates.includes(req.version)) {
    throw new InvalidInputError(`${req.version} cannot be rolled back to in ${req.environment}: it never ran there or runs there now; valid versions: ${candidates.join(', ') || 'none recorded'}`);
  }
  const target = req.version ?? (records ? previousVersion(records) : null);
  if (target === null) {
    throw new InvalidInputError(`no earlier version of ${req.environment} is recorded; pass --version or record one with update-sot`);
  }
  const input: ManualRollbackInput = { environment: req.environment, version: req.version ?? null, requestedBy: req.requestedBy, webUiUrl: config.temporal.webUiUrl, namespace };
  const workflowId = rollbackWorkflowId(req.environment, new Date());
  const handle = await client.workflow.start('manualRollback', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: ReleaseEnvironmentAttribute, value: req.environment },
      { key: ReleaseKindAttribute, value: 'rollback' },
      { key: ReleaseStageAttribute, value: 'RESOLVING' },
      { key: RequestedByAttribute, value: req.requestedBy },
    ],
    staticSummary: `Rollback of ${req.environment} to ${target} by ${req.requestedBy}`,
    staticDetails: `Manual rollback of **${req.environment}** from ${records?.current?.version ?? 'unknown'} to **${target}**, requested by ${req.requestedBy}. Takes precedence over an in-flight promotion (cancelled and compensated first); ends with verification of every service.`,
  });
  return { handle, workflowId, message: `rolling back ${req.environment} to ${target} (${workflowId})` };
}

export type { ManualRollbackResult };
