// Validation of the identifiers people type: versions, commits, identities, environments.
// Pure so that the CLI, the Slack gateway and workflow update validators share one definition.

const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const COMMIT = /^[0-9a-f]{7,40}$/;
const IDENTITY = /^@[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENVIRONMENT = /^[a-z][a-z0-9-]*$/;

/** Returns why `version` is not a release version, or null when it is one. */
export function versionProblem(version: string): string | null {
  return VERSION.test(version)
    ? null
    : `"${version}" is not a release version: expected semver with a leading v, like v1.2.3`;
}

export function commitProblem(sha: string): string | null {
  return COMMIT.test(sha) ? null : `"${sha}" is not a commit SHA: expected 7 to 40 lowercase hex characters`;
}

export function identityProblem(identity: string): string | null {
  return IDENTITY.test(identity) ? null : `"${identity}" is not an identity: expected @username`;
}

export function environmentProblem(environment: string): string | null {
  return ENVIRONMENT.test(environment)
    ? null
    : `"${environment}" is not an environment name (lowercase, like production)`;
}

// Workflow IDs: every scheme lives here.
const RELEASE_WORKFLOW_ID = /^(release|hotfix)-(v?\d[^/\s]*)$/;

export const releaseWorkflowId = (version: string): string => `release-${version}`;
export const hotfixWorkflowId = (version: string): string => `hotfix-${version}`;

/** What a release's (or hotfix's) workflow ID names; null for ledgers, rollbacks and the others. */
export function parseReleaseWorkflowId(workflowId: string): { kind: 'standard' | 'hotfix'; version: string } | null {
  const m = RELEASE_WORKFLOW_ID.exec(workflowId);
  return m ? { kind: m[1] === 'hotfix' ? 'hotfix' : 'standard', version: m[2]! } : null;
}

export const DEFAULT_TASK_QUEUE = 'release-promote';
/** The ledger of an environment. Deployments on other task queues are separate systems with separate ledgers. */
export const environmentWorkflowId = (environment: string, taskQueue: string): string =>
  taskQueue === DEFAULT_TASK_QUEUE ? `environment-${environment}` : `environment-${environment}-${taskQueue}`;

/** Short workflows about an environment (rollback, record, verify) are named by it and their start time. */
const environmentActionId = (action: 'rollback' | 'record' | 'verify', environment: string, at: Date): string =>
  `${action}-${environment}-${at.toISOString().replace(/[:.]/g, '-')}`;
export const rollbackWorkflowId = (environment: string, at: Date): string =>
  environmentActionId('rollback', environment, at);
export const manualRecordWorkflowId = (environment: string, at: Date): string =>
  environmentActionId('record', environment, at);
export const verificationWorkflowId = (environment: string, at: Date): string =>
  environmentActionId('verify', environment, at);
