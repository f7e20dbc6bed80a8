// The Kubernetes deployment target: each service of an environment is a Deployment named after it in
// the environment's namespace, and the release version is the image tag of its container.
//
// - deploy: patches the container image (strategic merge patch; skipped when it already runs the
//   version) and waits for the rollout like `kubectl rollout status`, one service after another in
//   the configured order, so a stuck rollout stops the release before the next service changes.
// - deployCanary: creates (or updates) `<name>-canary`, a copy of the stable Deployment at the new
//   version with `track: canary` added to its selector and pod labels and a capacity of about the
//   given percent of the stable replicas. Its share of requests is set by the environment's router
//   (gateway-router.ts: route weights; replicas-router.ts: the pod split). Stable pods are expected
//   to carry `track: stable` (and the stable selector to include it) so the two selectors do not
//   overlap. Canaries are marked with the label release-promote.io/canary-of=<name>, and a
//   Deployment without that label is never changed or deleted.
// - removeCanary: deletes `<name>-canary` (already gone is fine). Promotion is a stable deploy.
// - health: per service, the Deployment's image tag and whether its current generation is rolled
//   out with every replica ready and available.
//
// RBAC: in the namespace, get and patch on deployments.apps (stable), create, update and delete
// (canaries). Errors: errors.ts.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type {
  AppsV1Api,
  ConfigurationOptions,
  ObservableMiddleware,
  V1Container,
  V1Deployment,
  V1LabelSelector,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { DeploymentTarget, Progress } from '../ports';
import type { ServiceHealth } from '../../shared/release';
import {
  DEFAULT_POLL_MS,
  kubeRequest,
  loadOnce,
  DEFAULT_REQUEST_TIMEOUT_MS,
  loadKubeConnection,
  pause,
  type KubeTiming,
} from './connection';
import { explainKubeError, type KubeCall, type KubeIdentity, type KubeVerb } from './errors';
import { imageVersion, isValidTag, withVersion } from './images';
import { healthOf, rolloutState } from './rollout';

export interface KubernetesService {
  /** The Deployment's name. */
  name: string;
  /** The container whose image tag is the version; the first container when omitted. */
  container?: string;
}

export interface KubernetesTargetOptions extends KubeTiming {
  /** The environment's name (staging, production), for messages. */
  environment: string;
  namespace: string;
  services: KubernetesService[];
  /** Path of a kubeconfig; omitted means the default loading rules (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  /** Kubeconfig context to use instead of its current one. */
  context?: string;
  /** Use the pod's service account. */
  inCluster: boolean;
  /** How long one Deployment's rollout may take before the deploy fails with RolloutStuck. */
  rolloutTimeoutMs: number;
}

/** The pod and selector label that tells the stable track from the canary (also the metrics' track label). */
export const TRACK_LABEL = 'track';
/** On canary Deployments: the stable Deployment they were copied from. */
export const CANARY_OF_LABEL = 'release-promote.io/canary-of';
/** On canary Deployments: a hash of the spec we wrote, so an unchanged canary is not rewritten. */
export const CANARY_SPEC_HASH_ANNOTATION = 'release-promote.io/spec-hash';
export const VERSION_ANNOTATION = 'release-promote.io/version';
/** On a stable Deployment the replicas router scaled down: its replicas before the canary. */
export const STABLE_REPLICAS_ANNOTATION = 'release-promote.io/stable-replicas';

export function canaryName(service: string): string {
  return `${service}-canary`;
}

/** Replicas for a canary at `weightPercent` of a stable track with `stableReplicas`: at least one. */
export function canaryReplicas(stableReplicas: number, weightPercent: number): number {
  return Math.max(1, Math.ceil((stableReplicas * weightPercent) / 100));
}

interface Connection {
  apps: AppsV1Api;
  identity: KubeIdentity;
  options(signal: AbortSignal, contentType?: string): ConfigurationOptions<ObservableMiddleware>;
}

export class KubernetesTarget implements DeploymentTarget {
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly o: KubernetesTargetOptions) {
    this.pollMs = o.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async deploy(version: string, progress: Progress): Promise<ServiceHealth[]> {
    checkVersion(version);
    for (const svc of this.o.services) {
      const current = await this.read('get', svc.name);
      const container = containerOf(current, svc, this.o.namespace);
      const image = withVersion(container.image ?? '', version);
      if (container.image === image) {
        progress(`${svc.name} already runs ${image}; checking its rollout`);
      } else {
        progress(`${svc.name}: ${container.image ?? '(no image)'} → ${image}`);
        const patch = {
          metadata: {
            annotations: {
              [VERSION_ANNOTATION]: version,
              'kubernetes.io/change-cause': `release-promote: ${version} to ${this.o.environment}`,
            },
          },
          spec: { template: { spec: { containers: [{ name: container.name, image }] } } },
        };
        await this.call({ verb: 'patch', name: svc.name }, (apps, options) =>
          apps.patchNamespacedDeployment(
            { name: svc.name, namespace: this.o.namespace, body: patch },
            options('application/strategic-merge-patch+json'),
          ),
        );
      }
      await this.waitForRollout(svc.name, version, progress);
    }
    return this.health('stable');
  }

  async deployCanary(version: string, weightPercent: number, progress: Progress): Promise<ServiceHealth[]> {
    checkVersion(version);
    for (const svc of this.o.services) {
      const stable = await this.read('get', svc.name);
      const desired = canaryFrom(stable, svc, this.o.namespace, version, weightPercent);
      const replicas = desired.spec?.replicas ?? 1;
      const outcome = await this.applyCanary(svc.name, desired);
      progress(
        `${canaryName(svc.name)} ${outcome}: ${version}, ${replicas} replica${replicas === 1 ? '' : 's'} beside ${stable.spec?.replicas ?? 1} stable (${weightPercent}%)`,
      );
      await this.waitForRollout(canaryName(svc.name), version, progress);
    }
    return this.health('canary');
  }

  async removeCanary(progress: Progress): Promise<void> {
    for (const svc of this.o.services) {
      const name = canaryName(svc.name);
      const canary = await this.readOptional(name);
      if (canary === null) {
        progress(`${name} already gone`);
        continue;
      }
      this.assertOurCanary(canary, svc.name);
      try {
        await this.call({ verb: 'delete', name }, (apps, options) =>
          apps.deleteNamespacedDeployment(
            {
              name,
              namespace: this.o.namespace,
              propagationPolicy: 'Background',
              body: { preconditions: { uid: canary.metadata?.uid } },
            },
            options(),
          ),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      progress(`${name} deleted`);
    }
  }

  async health(track: 'stable' | 'canary'): Promise<ServiceHealth[]> {
    const entries = await Promise.all(
      this.o.services.map(async (svc): Promise<ServiceHealth | null> => {
        const name = track === 'stable' ? svc.name : canaryName(svc.name);
        const d = await this.readOptional(name);
        if (d === null || (track === 'canary' && d.metadata?.labels?.[CANARY_OF_LABEL] !== svc.name)) {
          return track === 'canary'
            ? null
            : {
                service: svc.name,
                version: null,
                healthy: false,
                detail: `deployment ${name} not found in namespace ${this.o.namespace}`,
              };
        }
        const version = imageVersion(containerOf(d, svc, this.o.namespace).image);
        return { service: svc.name, version, ...healthOf(d) };
      }),
    );
    return entries.filter((e): e is ServiceHealth => e !== null);
  }

  /**
   * The stable track's pod count before any canary: the replicas recorded when the replicas router
   * first scaled it down (STABLE_REPLICAS_ANNOTATION), else its current replicas.
   */
  async podTotal(service: string): Promise<number> {
    const stable = await this.read('get', service);
    const recorded = Number(stable.metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION]);
    return Number.isInteger(recorded) && recorded > 0 ? recorded : (stable.spec?.replicas ?? 1);
  }

  /**
   * The stable and canary replicas of a service now (0 for a canary that does not exist or is not
   * ours), and whether a Deployment of the canary's name exists at all.
   */
  async trackReplicas(service: string): Promise<{ stable: number; canary: number; canaryExists: boolean }> {
    const [stable, canary] = await Promise.all([this.read('get', service), this.readOptional(canaryName(service))]);
    const ours = canary !== null && canary.metadata?.labels?.[CANARY_OF_LABEL] === service;
    return {
      stable: stable.spec?.replicas ?? 1,
      canary: ours ? (canary.spec?.replicas ?? 1) : 0,
      canaryExists: canary !== null,
    };
  }

  /**
   * Scales a service's tracks (the replicas router's split). The stable track's own count is
   * recorded on it the first time it is scaled below it, and the record removed when it is restored.
   */
  async scaleTracks(service: string, stableReplicas: number, canaryReplicas: number): Promise<void> {
    // A `<name>-canary` that is not ours stops the scaling before the stable track changes.
    const canary = await this.readOptional(canaryName(service));
    if (canary !== null) this.assertOurCanary(canary, service);
    const total = await this.podTotal(service);
    const restored = stableReplicas === total;
    await this.call({ verb: 'patch', name: service }, (apps, options) =>
      apps.patchNamespacedDeployment(
        {
          name: service,
          namespace: this.o.namespace,
          body: {
            metadata: { annotations: { [STABLE_REPLICAS_ANNOTATION]: restored ? null : String(total) } },
            spec: { replicas: stableReplicas },
          },
        },
        options('application/strategic-merge-patch+json'),
      ),
    );
    if (canary === null) return;
    await this.call({ verb: 'patch', name: canaryName(service) }, (apps, options) =>
      apps.patchNamespacedDeployment(
        { name: canaryName(service), namespace: this.o.namespace, body: { spec: { replicas: canaryReplicas } } },
        options('application/strategic-merge-patch+json'),
      ),
    );
  }

  /** Creates the canary, or brings an existing one to `desired`; says what it did. */
  private async applyCanary(
    service: string,
    desired: V1Deployment,
  ): Promise<'created' | 'updated' | 'unchanged' | 'recreated'> {
    const name = canaryName(service);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.readOptional(name);
      try {
        if (existing === null) {
          await this.call({ verb: 'create', name }, (apps, options) =>
            apps.createNamespacedDeployment({ namespace: this.o.namespace, body: desired }, options()),
          );
          return 'created';
        }
        this.assertOurCanary(existing, service);
        if (
          existing.metadata?.annotations?.[CANARY_SPEC_HASH_ANNOTATION] ===
          desired.metadata?.annotations?.[CANARY_SPEC_HASH_ANNOTATION]
        )
          return 'unchanged';
        if (JSON.stringify(existing.spec?.selector) !== JSON.stringify(desired.spec?.selector)) {
          // A selector is immutable: the stable one changed since the canary was made.
          await this.call({ verb: 'delete', name }, (apps, options) =>
            apps.deleteNamespacedDeployment(
              {
                name,
                namespace: this.o.namespace,
                propagationPolicy: 'Background',
                body: { preconditions: { uid: existing.metadata?.uid } },
              },
              options(),
            ),
          );
          await this.call({ verb: 'create', name }, (apps, options) =>
            apps.createNamespacedDeployment({ namespace: this.o.namespace, body: desired }, options()),
          );
          return 'recreated';
        }
        const body: V1Deployment = {
          ...desired,
          metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion },
        };
        await this.call({ verb: 'update', name }, (apps, options) =>
          apps.replaceNamespacedDeployment({ name, namespace: this.o.namespace, body }, options()),
        );
        return 'updated';
      } catch (err) {
        // Lost a race with another writer (409 AlreadyExists / Conflict): read again and retry.
        if (attempt < 3 && err instanceof ApplicationFailure && err.type === 'KubernetesConflict') continue;
        throw err;
      }
    }
  }

  private assertOurCanary(d: V1Deployment, service: string): void {
    if (d.metadata?.labels?.[CANARY_OF_LABEL] === service) return;
    throw ApplicationFailure.nonRetryable(
      `deployment ${canaryName(service)} in namespace ${this.o.namespace} was not created by release-promote (it lacks the label ${CANARY_OF_LABEL}=${service}); rename or remove it, release-promote will not change it`,
      'CanaryConflict',
    );
  }

  /** Polls the Deployment until its current generation is rolled out; RolloutStuck on its progress deadline or ours. */
  private async waitForRollout(name: string, version: string, progress: Progress): Promise<V1Deployment> {
    const started = Date.now();
    for (let n = 0; ; n++) {
      const d = await this.read('get', name);
      const state = rolloutState(d);
      const subject = `rollout of deployment ${name} to ${version} in namespace ${this.o.namespace} (${this.o.environment})`;
      if (state.phase === 'complete') {
        progress(`${name} rolled out: ${state.detail}`);
        return d;
      }
      if (state.phase === 'stuck')
        throw ApplicationFailure.nonRetryable(`${subject} is stuck: ${state.detail}`, 'RolloutStuck');
      const left = this.o.rolloutTimeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw ApplicationFailure.nonRetryable(
          `${subject} did not complete within the rollout timeout of ${Math.round(this.o.rolloutTimeoutMs / 1000)}s: ${state.detail}`,
          'RolloutStuck',
        );
      }
      progress(`${name}: ${state.detail}`);
      await pause(Math.min(left, this.pollMs, 250 * 2 ** n));
    }
  }

  private read(verb: KubeVerb, name: string): Promise<V1Deployment> {
    return this.call({ verb, name }, (apps, options) =>
      apps.readNamespacedDeployment({ name, namespace: this.o.namespace }, options()),
    );
  }

  private async readOptional(name: string): Promise<V1Deployment | null> {
    try {
      return await this.read('get', name);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** One API request, with a timeout, the activity's cancellation, and errors explained. */
  private async call<T>(
    call: Omit<KubeCall, 'namespace'>,
    request: (
      apps: AppsV1Api,
      options: (contentType?: string) => ConfigurationOptions<ObservableMiddleware>,
    ) => Promise<T>,
  ): Promise<T> {
    const connection = await this.connect();
    return kubeRequest(
      {
        server: connection.identity.server,
        timeoutMs: this.requestTimeoutMs,
        what: `${call.verb} deployment ${call.name} in namespace ${this.o.namespace}`,
        explain: (err) => explainKubeError(err, { ...call, namespace: this.o.namespace }, connection.identity),
      },
      (signal) => request(connection.apps, (contentType) => connection.options(signal, contentType)),
    );
  }

  private readonly connect = loadOnce(() => this.load());

  private async load(): Promise<Connection> {
    const c = await loadKubeConnection(this.o, `environments.${this.o.environment}.target.context`);
    return { apps: c.kubeConfig.makeApiClient(c.k8s.AppsV1Api), identity: c.identity, options: c.options };
  }
}

/** The canary Deployment for `stable` at `version`: same pod template and labels plus track=canary. */
export function canaryFrom(
  stable: V1Deployment,
  svc: KubernetesService,
  namespace: string,
  version: string,
  weightPercent: number,
): V1Deployment {
  const spec = stable.spec;
  if (!spec)
    throw ApplicationFailure.nonRetryable(
      `deployment ${svc.name} in namespace ${namespace} has no spec`,
      'DeploymentNotFound',
    );
  const template = structuredClone(spec.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [TRACK_LABEL]: 'canary' } };
  const container = containerOf({ spec: { ...spec, template } }, svc, namespace);
  container.image = withVersion(container.image ?? '', version);
  const selector: V1LabelSelector = { matchLabels: { ...spec.selector.matchLabels, [TRACK_LABEL]: 'canary' } };
  // An expression on the track label (e.g. track In (stable)) would not match the canary's own pods.
  const expressions = spec.selector.matchExpressions?.filter((e) => e.key !== TRACK_LABEL);
  if (expressions?.length) selector.matchExpressions = structuredClone(expressions);
  const canarySpec = {
    replicas: canaryReplicas(spec.replicas ?? 1, weightPercent),
    selector,
    template,
    strategy: structuredClone(spec.strategy),
    minReadySeconds: spec.minReadySeconds,
    progressDeadlineSeconds: spec.progressDeadlineSeconds,
    revisionHistoryLimit: spec.revisionHistoryLimit,
  };
  const hash = createHash('sha256').update(JSON.stringify(canarySpec)).digest('hex').slice(0, 16);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: canaryName(svc.name),
      namespace,
      labels: { ...stable.metadata?.labels, [TRACK_LABEL]: 'canary', [CANARY_OF_LABEL]: svc.name },
      annotations: { [CANARY_SPEC_HASH_ANNOTATION]: hash, [VERSION_ANNOTATION]: version },
    },
    spec: canarySpec,
  };
}

function containerOf(d: V1Deployment, svc: KubernetesService, namespace: string): V1Container {
  const containers = d.spec?.template.spec?.containers ?? [];
  const found = svc.container === undefined ? containers[0] : containers.find((c) => c.name === svc.container);
  if (found) return found;
  throw ApplicationFailure.nonRetryable(
    svc.container === undefined
      ? `deployment ${d.metadata?.name ?? svc.name} in namespace ${namespace} has no containers`
      : `deployment ${d.metadata?.name ?? svc.name} in namespace ${namespace} has no container "${svc.container}" (it has: ${containers.map((c) => c.name).join(', ')})`,
    'ContainerNotFound',
  );
}

function checkVersion(version: string): void {
  if (!isValidTag(version)) {
    throw ApplicationFailure.nonRetryable(
      `"${version}" cannot be an image tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
      'InvalidInput',
    );
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === 'DeploymentNotFound';
}
