// What the tests of the Kubernetes activities (test/kubernetes/) share besides the API server and
// RBAC: the stable Deployments a release starts from, and the check that an activity failed as Temporal
// sees it (an ApplicationFailure, whose type and nonRetryable decide whether it is retried).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export const REGISTRY = 'registry.example:5000/agentaskit';

/** Service `name`'s stable Deployment (track=stable), its container "app" running `version` from REGISTRY with `env`. */
export function stableDeployment(
  name: string,
  version: string,
  replicas: number | undefined,
  env?: V1EnvVar[],
): V1Deployment {
  const labels = { app: name, track: 'stable' };
  const app = {
    name: 'app',
    image: `${REGISTRY}/${name}:${version}`,
    ...(env ? { env } : {}),
    ports: [{ containerPort: 8080 }],
  };
  // workers runs a sidecar first, so its version is read from the container named "app".
  const containers =
    name === 'workers' ? [{ name: 'log-shipper', image: 'registry.example:5000/infra/log-shipper:3.1' }, app] : [app];
  return {
    metadata: { name, labels: { app: name, team: 'platform' } },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers } },
    },
  };
}

/** `err` as an ApplicationFailure, failing the test when it is anything else. */
export function failure(err: unknown): ApplicationFailure {
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}
