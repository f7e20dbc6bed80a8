// Who may do what: one rule per action, decided from the installation's policy (roles and the role
// each action needs). Pure, so the release's update validators, the rollback and version-record
// workflows, the CLI, the Slack gateway and the GitHub workflow all ask the same function, and every
// refusal names the role that was missing.
import { identityProblem } from './identifiers';

/** The decisions a person makes. Starting a release and asking for its canary are open to anyone. */
export const ACTIONS = [
  'approve',
  'hotfix-approve',
  'reject',
  'resume',
  'abort',
  'cancel',
  'rollback',
  'update-sot',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What each action does, in the words a refusal uses: "…, the role needed to <what>". */
export const ACTION_DESCRIPTIONS: Record<Action, string> = {
  approve: 'approve a canary promotion',
  'hotfix-approve': 'approve a hotfix',
  reject: 'reject a release',
  resume: 'resume a paused canary',
  abort: 'roll back a paused canary',
  cancel: 'cancel a release',
  rollback: 'roll back an environment',
  'update-sot': 'record a version by hand (update-sot)',
};

/** The seed names one role, RELEASE_APPROVER; it is the default for every action. */
export const DEFAULT_ROLE = 'RELEASE_APPROVER';

export interface AccessPolicy {
  /** Role name → the identities holding it, e.g. RELEASE_APPROVER: ['@alice', '@bob']. */
  roles: Record<string, string[]>;
  /** Action → the roles allowed to do it (holding any one of them is enough). */
  permissions: Record<Action, string[]>;
}

export function defaultPermissions(): Record<Action, string[]> {
  return Object.fromEntries(ACTIONS.map((a) => [a, [DEFAULT_ROLE]])) as Record<Action, string[]>;
}

/** The roles allowed to do `action` that `who` holds (empty: not allowed). */
function rolesHeld(access: AccessPolicy, action: Action, who: string): string[] {
  return access.permissions[action].filter((role) => (access.roles[role] ?? []).includes(who));
}

/** Why `who` may not do `action`, or null when the policy allows it. */
export function authorizationProblem(access: AccessPolicy, action: Action, who: string): string | null {
  const idProblem = identityProblem(who);
  if (idProblem !== null) return idProblem;
  if (rolesHeld(access, action, who).length > 0) return null;
  const allowed = access.permissions[action];
  const what = ACTION_DESCRIPTIONS[action];
  return allowed.length === 1
    ? `${who} does not hold ${allowed[0]}, the role needed to ${what}`
    : `${who} holds none of ${allowed.join(', ')}, the roles allowed to ${what}`;
}

/** Everyone the policy allows to do `action`. */
export function holdersOf(access: AccessPolicy, action: Action): string[] {
  return [...new Set(access.permissions[action].flatMap((role) => access.roles[role] ?? []))].sort();
}

/** "RELEASE_APPROVER" or "RELEASE_APPROVER or RELEASE_OPERATOR": who to ask, in messages. */
export function rolesFor(access: AccessPolicy, action: Action): string {
  return access.permissions[action].join(' or ');
}
