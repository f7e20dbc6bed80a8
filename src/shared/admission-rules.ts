// May this start? Decided by a workflow from the installation's policy as its first step, so a start
// the policy does not allow is refused with its reason before anything changes, whoever sent it.
import { authorizationProblem, holdersOf, rolesFor } from './authorization';
import { commitProblem, identityProblem, versionProblem } from './identifiers';
import type { ReleasePolicy } from './policy';
import type { ReleaseRequest } from './release';

export function releaseStartProblem(request: ReleaseRequest, policy: ReleasePolicy): string | null {
  const syntax =
    versionProblem(request.version) ?? commitProblem(request.commitSha) ?? identityProblem(request.requestedBy);
  if (syntax !== null) return syntax;
  const action = request.kind === 'hotfix' ? 'hotfix-approve' : 'approve';
  const deciders = holdersOf(policy.access, action).filter(
    (p) => request.kind === 'standard' || p !== request.requestedBy,
  );
  const required = request.kind === 'hotfix' ? policy.hotfix.requiredApprovals : 1;
  if (deciders.length === 0) {
    return `nobody can approve it: no one holds ${rolesFor(policy.access, action)} in the installation's policy (roles in the workers' config)`;
  }
  if (deciders.length < required) {
    return `a hotfix needs ${required} approvers other than its requester, and only ${deciders.length} hold ${rolesFor(policy.access, action)} (${deciders.join(', ')})`;
  }
  if (request.kind !== 'hotfix') return null;
  const asked = request.hotfixApprovers ?? [];
  if (asked.length === 0) return null;
  for (const person of asked) {
    const problem = authorizationProblem(policy.access, 'hotfix-approve', person);
    if (problem !== null) return `cannot ask ${person} to approve the hotfix: ${problem}`;
  }
  if (new Set(asked).size !== asked.length) return 'the hotfix approvers must be different people';
  if (asked.includes(request.requestedBy))
    return `${request.requestedBy} requested the hotfix and cannot be one of its approvers`;
  if (asked.length !== required) return `a hotfix needs ${required} approvers; ${asked.length} named`;
  return null;
}

/** A manual rollback or version record names an environment the installation defines, and a person allowed to act. */
export function environmentActionProblem(
  policy: ReleasePolicy,
  action: 'rollback' | 'update-sot',
  environment: string,
  who: string,
): string | null {
  const roleProblem = authorizationProblem(policy.access, action, who);
  if (roleProblem !== null) return roleProblem;
  if (!policy.environments.includes(environment))
    return `unknown environment "${environment}" (the installation defines: ${policy.environments.join(', ')})`;
  return null;
}
