// Starting a release: validates every input before anything starts, freezes the policy from the
// config into the workflow input, and refuses a second promotion of a version already in flight.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { releasePolicy } from '../config/load';
import { commitProblem, hotfixWorkflowId, identityProblem, releaseWorkflowId, versionProblem } from '../shared/identifiers';
import type { ReleaseInput } from '../shared/release';
import { CommitShaAttribute, ReleaseKindAttribute, ReleaseStageAttribute, ReleaseVersionAttribute, RequestedByAttribute } from '../shared/search-attributes';
import { approverRoleProblem } from '../shared/approval-rules';
import { formatDuration } from '../shared/duration-format';

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

export interface StartRequest {
  version: string;
  commitSha: string;
  requestedBy: string;
  ciRunId?: string | null;
  kind?: 'standard' | 'hotfix';
  hotfixApprovers?: string[];
}

export async function startRelease(client: Client, config: Config, namespace: string, req: StartRequest) {
  const kind = req.kind ?? 'standard';
  const policy = releasePolicy(config, namespace);
  const problems = [versionProblem(req.version), commitProblem(req.commitSha), identityProblem(req.requestedBy)];
  if (kind === 'hotfix') {
    const asked = req.hotfixApprovers ?? [];
    for (const a of asked) problems.push(approverRoleProblem(policy.approval.approvers, a));
    if (asked.length > 0 && new Set(asked).size !== asked.length) problems.push('the two hotfix approvers must be different people');
    if (asked.includes(req.requestedBy)) problems.push(`${req.requestedBy} requested the hotfix and cannot be one of its approvers`);
    if (asked.length > 0 && asked.length < policy.hotfix.requiredApprovals) problems.push(`a hotfix needs ${policy.hotfix.requiredApprovals} approvers; ${asked.length} named`);
  }
  if (policy.approval.approvers.length === 0) problems.push('nobody holds RELEASE_APPROVER: list approvers under roles.RELEASE_APPROVER in the config');
  const problem = problems.find((p) => p !== null);
  if (problem) throw new InvalidInputError(problem);

  // A version has one promotion at a time, whichever track: the other track's workflow ID differs,
  // so the server's ID check alone would let a release and a hotfix of one version run together.
  const otherId = kind === 'hotfix' ? releaseWorkflowId(req.version) : hotfixWorkflowId(req.version);
  const other = await client.workflow.getHandle(otherId).describe().catch(() => null);
  if (other?.status.name === 'RUNNING') {
    throw new InvalidInputError(`${req.version} is already being promoted (${otherId} is running); see "release-promote status ${req.version}"`);
  }

  const input: ReleaseInput = { kind, version: req.version, commitSha: req.commitSha, requestedBy: req.requestedBy, ciRunId: req.ciRunId ?? null, policy, hotfixApprovers: req.hotfixApprovers };
  const workflowId = kind === 'hotfix' ? hotfixWorkflowId(req.version) : releaseWorkflowId(req.version);
  const soak = formatDuration(policy.soak.durationMs);
  const canary = formatDuration(policy.canary.minDurationMs);
  try {
    return await client.workflow.start(kind === 'hotfix' ? 'hotfixPromotion' : 'releasePromotion', {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
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
          ? `Fast track: staging skipped; needs ${policy.hotfix.requiredApprovals} approvals from different RELEASE_APPROVERs (${(req.hotfixApprovers ?? []).join(', ') || 'any'}).`
          : `Dev gates → staging (${soak} healthy soak, E2E/load/security) → approval → ${policy.canary.weightPercent}% canary (${canary} minimum) → production.`,
        `Gates: error rate < +${policy.canary.thresholds.maxErrorRateIncreasePp} pp over baseline, P99 < +${policy.canary.thresholds.maxP99IncreasePct}%, availability ≥ ${policy.canary.thresholds.minAvailabilityPct}%.`,
        'Ask for state with the `status` query.',
      ].join('\n\n'),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new InvalidInputError(`${req.version} is already being promoted (${workflowId} is running); see "release-promote status ${req.version}"`);
    }
    throw err;
  }
}
