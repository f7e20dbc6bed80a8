// Starting a release: the starter sends what a person may choose (version, commit, requester, CI run,
// hotfix approvers) and nothing that loosens a rule; the workflow obtains the installation's policy
// from its worker and admits or refuses the start. A version has one promotion: a re-run for the same
// commit answers with the existing release, and an already promoted version is promoted again only
// when asked explicitly (--again).
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { Config } from '../config/schema';
import {
  commitProblem,
  hotfixWorkflowId,
  identityProblem,
  releaseWorkflowId,
  versionProblem,
} from '../shared/identifiers';
import type { ReleaseRequest } from '../shared/release';
import {
  CommitShaAttribute,
  ReleaseKindAttribute,
  ReleaseStageAttribute,
  ReleaseVersionAttribute,
  RequestedByAttribute,
} from '../shared/search-attributes';
import type { Admission } from '../shared/messages';
import { rerunDecision } from '../shared/rerun';
import { HotfixPromotion, ReleasePromotion, startOperation, workflowHandle, type WorkflowOf } from '../workflow-api';
import { latestRuns } from './releases';
import { admissionWithStart } from './admission';
import { InvalidInputError } from './errors';

export { InvalidInputError };

export interface StartRequest {
  version: string;
  commitSha: string;
  requestedBy: string;
  ciRunId?: string | null;
  kind?: 'standard' | 'hotfix';
  hotfixApprovers?: string[];
  /** Promote a version that was already promoted, on purpose (audited). */
  again?: boolean;
}

export type StartOutcome =
  /** A new run, admitted by the installation's policy. */
  | {
      started: true;
      handle: WorkflowHandleWithFirstExecutionRunId<WorkflowOf<'releasePromotion'>>;
      admission: Admission;
      message: string;
    }
  /** Nothing started: this is a re-run for a promotion that exists (running, or promoted from this commit). */
  | { started: false; handle: WorkflowHandle<WorkflowOf<'releasePromotion'>>; message: string };

export async function startRelease(
  client: Client,
  config: Pick<Config, 'temporal'>,
  req: StartRequest,
): Promise<StartOutcome> {
  const kind = req.kind ?? 'standard';
  const asked = req.hotfixApprovers ?? [];
  // What can be checked without the policy is checked here, so a typo never starts a workflow.
  const problem =
    versionProblem(req.version) ??
    commitProblem(req.commitSha) ??
    identityProblem(req.requestedBy) ??
    asked.map(identityProblem).find((p) => p !== null) ??
    (new Set(asked).size !== asked.length ? 'the hotfix approvers must be different people' : null) ??
    (asked.includes(req.requestedBy)
      ? `${req.requestedBy} requested the hotfix and cannot be one of its approvers`
      : null);
  if (problem) throw new InvalidInputError(problem);

  const decision = rerunDecision(
    await latestRuns(client, req.version),
    { kind, commitSha: req.commitSha, again: req.again ?? false },
    req.version,
  );
  if (decision.action === 'refuse') throw new InvalidInputError(decision.message);
  if (decision.action === 'existing')
    return {
      started: false,
      handle: workflowHandle(client, ReleasePromotion, decision.workflowId),
      message: decision.message,
    };

  const input: ReleaseRequest = {
    kind,
    version: req.version,
    commitSha: req.commitSha,
    requestedBy: req.requestedBy,
    ciRunId: req.ciRunId ?? null,
    hotfixApprovers: asked.length ? asked : undefined,
    repeatOf: decision.repeatOf,
  };
  const workflowId = kind === 'hotfix' ? hotfixWorkflowId(req.version) : releaseWorkflowId(req.version);
  // The admission update goes with the start (update-with-start), so the workflow's first task
  // answers it: no second task just to admit the release.
  const startWorkflowOperation = startOperation(kind === 'hotfix' ? HotfixPromotion : ReleasePromotion, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
    typedSearchAttributes: [
      { key: ReleaseVersionAttribute, value: req.version },
      { key: ReleaseStageAttribute, value: kind === 'hotfix' ? 'AWAITING_APPROVAL' : 'DEV_GATES' },
      { key: ReleaseKindAttribute, value: kind },
      { key: CommitShaAttribute, value: req.commitSha },
      { key: RequestedByAttribute, value: req.requestedBy },
    ],
    staticSummary: `${kind === 'hotfix' ? 'Hotfix' : 'Release'} ${req.version} (${req.commitSha.slice(0, 7)}) by ${req.requestedBy}`,
    staticDetails: [
      `**${kind === 'hotfix' ? 'Hotfix' : 'Release'} ${req.version}** — commit \`${req.commitSha}\`, requested by ${req.requestedBy}${req.ciRunId ? `, CI run ${req.ciRunId}` : ''}`,
      kind === 'hotfix'
        ? `Fast track: staging skipped; approvers asked: ${asked.join(', ') || 'any two allowed by the policy'}.`
        : 'Dev gates → staging → approval → canary → production.',
      decision.repeatOf
        ? `Promoted again on purpose (--again) after ${decision.repeatOf.workflowId} run ${decision.repeatOf.runId} ended ${decision.repeatOf.outcome}.`
        : null,
      "The rules (durations, thresholds, approvers) are the installation's policy, recorded by the release: see the `status` query's policy and policyDigest.",
    ]
      .filter(Boolean)
      .join('\n\n'),
  });
  const admitted = admissionWithStart(client, config.temporal.taskQueue, workflowId, startWorkflowOperation);
  try {
    await startWorkflowOperation.workflowHandle();
  } catch (err) {
    // Another starter won the race for the same version.
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      await admitted.catch(() => undefined);
      return startRelease(client, config, req);
    }
    // The start's answer comes with the update's: when no worker answers, say that.
    await admitted;
    throw err;
  }
  const admission = await admitted;
  const handle = Object.assign(workflowHandle(client, ReleasePromotion, workflowId), {
    firstExecutionRunId: admission.runId,
  });
  return { started: true, handle, admission, message: admission.message };
}
