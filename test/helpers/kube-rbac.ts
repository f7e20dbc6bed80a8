// RBAC for the tests that run release-promote as the test kube-apiserver's `limited` user (see
// kube-apiserver.ts): the Role rules deploy/kubernetes/rbac.yaml ships, so the tests bind what ships
// and the manifest cannot drift from what the code calls; a Role bound to that user; and waiting until
// the authorizer applies an RBAC change.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseAllDocuments } from 'yaml';
import type { KubeConfig, V1PolicyRule } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { KubeTestUser } from './kube-apiserver';

const RBAC_MANIFEST = join(resolve(__dirname, '..', '..'), 'deploy', 'kubernetes', 'rbac.yaml');

/** The rules of each Role in deploy/kubernetes/rbac.yaml, in the file's order. */
export function shippedRoleRules(): V1PolicyRule[][] {
  return parseAllDocuments(readFileSync(RBAC_MANIFEST, 'utf8'))
    .map((d) => d.toJS() as { kind: string; rules?: V1PolicyRule[] })
    .filter((d) => d.kind === 'Role')
    .map((role) => role.rules ?? []);
}

/** The verbs rbac.yaml grants on Deployments, after checking that every Role has exactly one rule for them. */
export function shippedDeploymentVerbs(): string[] {
  const roles = shippedRoleRules();
  const deploymentRules = roles.map((rules) => rules.filter((rule) => rule.resources?.includes('deployments')));
  assert.ok(roles.length > 0 && deploymentRules.every((rules) => rules.length === 1));
  return deploymentRules[0]![0]!.verbs;
}

/** The one rule a Role needs for the Kubernetes target's Deployments, with `verbs`. */
export const deploymentsRule = (verbs: string[]): V1PolicyRule => ({
  apiGroups: ['apps'],
  resources: ['deployments'],
  verbs,
});

/** Creates Role `name` with `rules` in `namespace` and a RoleBinding of it to `user`, with an admin `kubeConfig`. */
export async function bindRole(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  rules: V1PolicyRule[],
  user: KubeTestUser = 'limited',
): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const rbac = kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  });
}

/**
 * RBAC changes reach the authorizer through an informer: calls `fn` again (every 100 ms, for up to
 * 10 s) while it fails with the old answer (`stillOld`); any other failure, or the old answer after
 * that, is thrown.
 */
export async function untilRbacPropagates<T>(
  fn: () => Promise<T>,
  stillOld: (err: ApplicationFailure) => boolean,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ApplicationFailure && stillOld(err)) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
