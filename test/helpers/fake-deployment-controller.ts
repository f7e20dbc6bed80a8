// Plays the Deployment controller against the test kube-apiserver (there is no kube-controller-manager,
// so no ReplicaSets or Pods ever exist): whenever a Deployment's metadata.generation differs from its
// status.observedGeneration, it writes the status a real controller would report at the end of that
// rollout, via a merge patch on the status subresource. Polls every `intervalMs` (default 100 ms).
//
// Outcomes, decided per Deployment generation from its pod template's container images:
//   rolled out (default)  observedGeneration, replicas = updatedReplicas = readyReplicas =
//                         availableReplicas = spec.replicas; Available=True (MinimumReplicasAvailable),
//                         Progressing=True (NewReplicaSetAvailable)
//   stuck                 the new ReplicaSet never becomes available and the progress deadline passed:
//                         replicas = spec.replicas + 1, updatedReplicas = 1, ready/available = the old
//                         pods (spec.replicas), unavailableReplicas = 1; Progressing=False
//                         (ProgressDeadlineExceeded), Available=True
//   unready               every pod is updated but none is ready (e.g. failing readiness probes):
//                         replicas = updatedReplicas = spec.replicas, ready/available = 0,
//                         unavailableReplicas = spec.replicas; Available=False (MinimumReplicasUnavailable),
//                         Progressing=True (ReplicaSetUpdated): it never completes nor times out
// With `rolloutDelayMs`, the controller first reports an in-progress rollout (observedGeneration set,
// updatedReplicas = 0, Progressing=True/ReplicaSetUpdated) and the outcome only after the delay.
import type { AppsV1Api, KubeConfig, V1Deployment, V1DeploymentCondition } from '@kubernetes/client-node' with {
  'resolution-mode': 'import',
};
import { isNotFound, startReconcileLoop, type ReconcileLoop } from './reconcile-loop';

/** Called once per container of the pod template (init containers excluded); true if any call is true. */
export type ImagePredicate = (deploymentName: string, image: string, deployment: V1Deployment) => boolean;

export interface FakeDeploymentControllerOptions {
  /** Namespaces to watch; all namespaces when omitted. */
  namespaces?: string[];
  /** Rollouts of matching images get stuck (Progressing=False, ProgressDeadlineExceeded). Checked before `unready`. */
  stuck?: ImagePredicate;
  /** Rollouts of matching images complete but no pod becomes ready (Available=False). */
  unready?: ImagePredicate;
  /** Report an in-progress rollout for this long before the outcome. Default 0. */
  rolloutDelayMs?: number;
  /** Poll interval. Default 100 ms. */
  intervalMs?: number;
}

export type RolloutOutcome = 'progressing' | 'rolledOut' | 'stuck' | 'unready';

export interface ReconcileRecord {
  namespace: string;
  name: string;
  generation: number;
  images: string[];
  outcome: RolloutOutcome;
  at: Date;
}

export interface FakeDeploymentController extends ReconcileLoop {
  /** Every status write, oldest first. */
  readonly reconciled: readonly ReconcileRecord[];
}

const DEFAULT_REPLICAS = 1;

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: Date,
): V1DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/** The status body (merge patch) for `outcome`. Null fields are removed by the merge patch. */
function statusFor(d: V1Deployment, outcome: RolloutOutcome, now: Date): Record<string, unknown> {
  const name = d.metadata?.name ?? '';
  const generation = d.metadata?.generation ?? 0;
  const replicas = d.spec?.replicas ?? DEFAULT_REPLICAS;
  const rs = `${name}-${generation}`; // stand-in for the ReplicaSet's pod-template-hash name
  const base = { observedGeneration: generation, collisionCount: null };
  switch (outcome) {
    case 'rolledOut':
      return {
        ...base,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        unavailableReplicas: null,
        terminatingReplicas: null,
        conditions: [
          condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
          condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${rs}" has successfully progressed.`,
            now,
          ),
        ],
      };
    case 'stuck':
      return {
        ...base,
        replicas: replicas + 1,
        updatedReplicas: 1,
        readyReplicas: replicas,
        availableReplicas: replicas,
        unavailableReplicas: 1,
        conditions: [
          condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
          condition(
            'Progressing',
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${rs}" has timed out progressing.`,
            now,
          ),
        ],
      };
    case 'unready':
      return {
        ...base,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: replicas,
        conditions: [
          condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            now,
          ),
          condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rs}" is progressing.`, now),
        ],
      };
    case 'progressing':
      return {
        ...base,
        replicas,
        updatedReplicas: 0,
        readyReplicas: replicas,
        availableReplicas: replicas,
        unavailableReplicas: null,
        conditions: [
          condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
          condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rs}" is progressing.`, now),
        ],
      };
  }
}

/** Starts the fake controller with `kubeConfig` (use an admin one: it needs list + patch deployments/status). */
export async function startFakeDeploymentController(
  kubeConfig: KubeConfig,
  options: FakeDeploymentControllerOptions = {},
): Promise<FakeDeploymentController> {
  const k8s = await import('@kubernetes/client-node');
  const apps: AppsV1Api = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const intervalMs = options.intervalMs ?? 100;
  const delayMs = options.rolloutDelayMs ?? 0;

  const reconciled: ReconcileRecord[] = [];
  /** `<ns>/<name>@<generation>` → when the controller first saw that generation (for rolloutDelayMs). */
  const firstSeen = new Map<string, number>();
  /** Generations for which only the in-progress status has been written so far. */
  const progressReported = new Set<string>();

  const decide = (d: V1Deployment): RolloutOutcome => {
    const name = d.metadata?.name ?? '';
    const images = (d.spec?.template.spec?.containers ?? []).map((c) => c.image ?? '');
    if (options.stuck && images.some((img) => options.stuck!(name, img, d))) return 'stuck';
    if (options.unready && images.some((img) => options.unready!(name, img, d))) return 'unready';
    return 'rolledOut';
  };

  const listDeployments = async (): Promise<V1Deployment[]> => {
    if (!options.namespaces) return (await apps.listDeploymentForAllNamespaces()).items;
    const lists = await Promise.all(
      options.namespaces.map((namespace) => apps.listNamespacedDeployment({ namespace })),
    );
    return lists.flatMap((l) => l.items);
  };

  const reconcileDeployment = async (d: V1Deployment): Promise<void> => {
    const namespace = d.metadata?.namespace ?? '';
    const name = d.metadata?.name ?? '';
    const generation = d.metadata?.generation ?? 0;
    if (d.metadata?.deletionTimestamp) return;
    const key = `${namespace}/${name}@${generation}`;
    const inProgress = progressReported.has(key);
    if (d.status?.observedGeneration === generation && !inProgress) return; // outcome already written
    const seen = firstSeen.get(key) ?? Date.now();
    firstSeen.set(key, seen);
    const outcome: RolloutOutcome = Date.now() - seen < delayMs ? 'progressing' : decide(d);
    if (outcome === 'progressing' && inProgress) return;
    const now = new Date();
    await apps.patchNamespacedDeploymentStatus(
      { name, namespace, body: { status: statusFor(d, outcome, now) } },
      mergePatch,
    );
    if (outcome === 'progressing') {
      progressReported.add(key);
    } else {
      progressReported.delete(key);
      firstSeen.delete(key);
    }
    const images = (d.spec?.template.spec?.containers ?? []).map((c) => c.image ?? '');
    reconciled.push({ namespace, name, generation, images, outcome, at: now });
  };

  const loop = startReconcileLoop({
    list: listDeployments,
    reconcile: reconcileDeployment,
    // A Deployment deleted between the list and its status write (a canary being removed) is gone,
    // as the real controller would find it: not an error of the controller.
    expected: isNotFound,
    intervalMs,
  });
  return { ...loop, reconciled };
}
