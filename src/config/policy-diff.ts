// Which of a client's own policy settings differ from the installation's. Only what the client's
// config file sets is compared: a file that only says where Temporal is has no policy to disagree
// with, and one that sets `roles` (the attack of a starter naming their own approvers) is told so.
import { policyDifferences, type PolicyDifference, type ReleasePolicy } from '../shared/policy';

/** The config section each part of the policy comes from (src/config/load.ts, releasePolicy). */
const SOURCES: Array<[prefix: string, configPath: string[]]> = [
  ['access.roles', ['roles']],
  ['access.permissions', ['permissions']],
  ['environments', ['environments']],
  ['stagingEnvironment', ['stages', 'staging', 'environment']],
  ['productionEnvironment', ['stages', 'canary', 'environment']],
  ['devGates', ['stages', 'dev']],
  ['soak', ['stages', 'staging']],
  ['approval', ['stages', 'approval']],
  ['canary', ['stages', 'canary']],
  ['hotfix', ['stages', 'hotfix']],
];

export function configuredPolicyDifferences(
  rawConfig: unknown,
  yours: ReleasePolicy,
  installation: ReleasePolicy,
): PolicyDifference[] {
  return policyDifferences(yours, installation).filter((d) => {
    const source = SOURCES.find(([prefix]) => d.field === prefix || d.field.startsWith(`${prefix}.`));
    return source !== undefined && has(rawConfig, source[1]);
  });
}

function has(value: unknown, path: string[]): boolean {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !(key in at)) return false;
    at = (at as Record<string, unknown>)[key];
  }
  return true;
}
