// Plays a Gateway API implementation against the test kube-apiserver, as fake-deployment-controller.ts
// plays the Deployment controller: there is no gateway, so nothing routes requests, but HTTPRoutes get
// the status a real controller writes. Every `intervalMs` (default 50 ms) it lists the HTTPRoutes of
// its namespaces and, for each spec.parentRefs[] entry, computes the route's parent status in the
// wire format of gateway.networking.k8s.io/v1:
//
//   { parentRef, controllerName: 'example.net/fake-gateway-controller',
//     conditions: [ { type: 'Accepted',     status, reason, message, observedGeneration, lastTransitionTime },
//                   { type: 'ResolvedRefs', status, reason, message, observedGeneration, lastTransitionTime } ] }
//
//   Accepted      True (Accepted), or False with the reason and message `refuse` returns for the route
//   ResolvedRefs  True (ResolvedRefs); False (BackendNotFound) when a backendRef names a Service that
//                 does not exist (checked against the real Services), False (InvalidKind) when it is
//                 not a core Service
//
// and writes status.parents (a merge patch on the status subresource; entries of other controllers are
// kept) whenever that differs from what the route holds, lastTransitionTime changing only with a
// condition's status. It records every backendRefs state it observes, with the generation and time,
// so tests can assert the order in which weights changed.
//
// installGatewayApiCrds() installs the pinned CRDs (scripts/k8s/ensure-gateway-api-crds.sh) with
// server-side apply and waits until they are served.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node' with {
  'resolution-mode': 'import',
};
import type {
  HTTPBackendRef,
  HTTPRoute,
  ParentReference,
  RouteCondition,
  RouteParentStatus,
} from '../../src/activities/kubernetes/gateway-router';
import { isNotFound, startReconcileLoop, type ReconcileLoop } from './reconcile-loop';

export const FAKE_GATEWAY_CONTROLLER_NAME = 'example.net/fake-gateway-controller';
const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';
const PLURAL = 'httproutes';

export interface Refusal {
  reason: string;
  message?: string;
}

export interface FakeGatewayControllerOptions {
  /** Namespaces whose HTTPRoutes it reconciles. */
  namespaces: string[];
  /** Accepted=False with this reason for the route and parent when it returns one. */
  refuse?: (route: HTTPRoute, parentRef: ParentReference) => Refusal | null | undefined;
  /** ResolvedRefs=False (BackendNotFound) when a backend Service does not exist. Default true. */
  checkBackends?: boolean;
  controllerName?: string;
  /** Poll interval. Default 50 ms. */
  intervalMs?: number;
}

/** A backendRef as observed: only what decides where requests go. */
export interface ObservedBackend {
  name: string;
  port?: number;
  weight: number;
}

export interface ObservedRoute {
  namespace: string;
  name: string;
  generation: number;
  /** Per rule, its backendRefs. */
  rules: ObservedBackend[][];
  at: Date;
}

export interface StatusWrite {
  namespace: string;
  name: string;
  generation: number;
  accepted: boolean;
  resolvedRefs: boolean;
  at: Date;
}

export interface FakeGatewayController extends ReconcileLoop {
  /** Each new backendRefs state of each route, oldest first (a generation that changed only other fields is not repeated). */
  readonly observed: readonly ObservedRoute[];
  /** Every status write, oldest first. */
  readonly writes: readonly StatusWrite[];
  /** The observed backendRefs states of one route, oldest first. */
  history(namespace: string, name: string): ObservedRoute[];
}

/** RFC 3339 with seconds, as metav1.Time is serialised. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Starts the fake controller with `kubeConfig` (use an admin one: it lists routes, reads Services and patches httproutes/status). */
export async function startFakeGatewayController(
  kubeConfig: KubeConfig,
  options: FakeGatewayControllerOptions,
): Promise<FakeGatewayController> {
  const k8s = await import('@kubernetes/client-node');
  const custom: CustomObjectsApi = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core: CoreV1Api = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const controllerName = options.controllerName ?? FAKE_GATEWAY_CONTROLLER_NAME;
  const checkBackends = options.checkBackends ?? true;
  const intervalMs = options.intervalMs ?? 50;

  const observed: ObservedRoute[] = [];
  const writes: StatusWrite[] = [];
  const lastObserved = new Map<string, string>();

  const serviceExists = async (namespace: string, name: string): Promise<boolean> => {
    try {
      await core.readNamespacedService({ name, namespace });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };

  /** ResolvedRefs for the route's backends: the first unresolvable one decides. */
  const resolveRefs = async (
    route: HTTPRoute,
    namespace: string,
  ): Promise<{ ok: boolean; reason: string; message: string }> => {
    const refs: HTTPBackendRef[] = (route.spec?.rules ?? []).flatMap((r) => r.backendRefs ?? []);
    for (const ref of refs) {
      if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') {
        return {
          ok: false,
          reason: 'InvalidKind',
          message: `backendRef ${ref.name} is a ${ref.group ?? ''}/${ref.kind ?? ''}, not a Service`,
        };
      }
      if (checkBackends && !(await serviceExists(ref.namespace ?? namespace, ref.name))) {
        return {
          ok: false,
          reason: 'BackendNotFound',
          message: `service "${ref.namespace ?? namespace}/${ref.name}" not found`,
        };
      }
    }
    return { ok: true, reason: 'ResolvedRefs', message: 'Resolved all the Object references for the Route' };
  };

  const record = (route: HTTPRoute, namespace: string, name: string, generation: number): void => {
    const rules = (route.spec?.rules ?? []).map((r) =>
      (r.backendRefs ?? []).map((b): ObservedBackend => ({
        name: b.name,
        ...(b.port !== undefined ? { port: b.port } : {}),
        weight: b.weight ?? 1,
      })),
    );
    const key = `${namespace}/${name}`;
    const fingerprint = JSON.stringify(rules);
    if (lastObserved.get(key) === fingerprint) return;
    lastObserved.set(key, fingerprint);
    observed.push({ namespace, name, generation, rules, at: new Date() });
  };

  const reconcileRoute = async (route: HTTPRoute): Promise<void> => {
    const namespace = route.metadata?.namespace ?? '';
    const name = route.metadata?.name ?? '';
    const generation = route.metadata?.generation ?? 0;
    record(route, namespace, name, generation);

    const now = new Date();
    const current = route.status?.parents ?? [];
    const refs = await resolveRefs(route, namespace);
    const ours: RouteParentStatus[] = (route.spec?.parentRefs ?? []).map((parentRef) => {
      const previous = current.find(
        (p) => p.controllerName === controllerName && canonical(p.parentRef) === canonical(parentRef),
      );
      const condition = (type: string, ok: boolean, reason: string, message: string): RouteCondition => {
        const status = ok ? 'True' : 'False';
        const before = previous?.conditions?.find((c) => c.type === type);
        return {
          type,
          status,
          reason,
          message,
          observedGeneration: generation,
          lastTransitionTime:
            before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now),
        };
      };
      const refusal = options.refuse?.(route, parentRef);
      return {
        parentRef,
        controllerName,
        conditions: [
          refusal
            ? condition('Accepted', false, refusal.reason, refusal.message ?? `Route refused by ${controllerName}`)
            : condition('Accepted', true, 'Accepted', 'Route is accepted'),
          condition('ResolvedRefs', refs.ok, refs.reason, refs.message),
        ],
      };
    });
    const parents = [...current.filter((p) => p.controllerName !== controllerName), ...ours];
    if (canonical(parents) === canonical(current)) return;
    await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status: { parents } } },
      mergePatch,
    );
    writes.push({
      namespace,
      name,
      generation,
      accepted: ours.every((p) => p.conditions?.[0]?.status === 'True'),
      resolvedRefs: refs.ok,
      at: now,
    });
  };

  const listRoutes = async (): Promise<HTTPRoute[]> => {
    const lists = await Promise.all(
      options.namespaces.map(
        (namespace) =>
          custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
          }) as Promise<{ items: HTTPRoute[] }>,
      ),
    );
    return lists.flatMap((l) => l.items);
  };

  const loop = startReconcileLoop({
    list: listRoutes,
    reconcile: reconcileRoute,
    // A route changed or deleted between the list and the status write is picked up next pass,
    // as a real controller's next reconcile would.
    expected: (err) => isNotFound(err) || isConflict(err),
    intervalMs,
  });
  return {
    ...loop,
    observed,
    writes,
    history: (namespace, name) => observed.filter((o) => o.namespace === namespace && o.name === name),
  };
}

const ENSURE_CRDS = join(resolve(__dirname, '..', '..'), 'scripts', 'k8s', 'ensure-gateway-api-crds.sh');

/** The directory of the pinned Gateway API CRDs (fetched into the user cache on first use). */
export function gatewayApiCrdsDir(): Promise<string> {
  return new Promise((resolveDir, reject) => {
    execFile('bash', [ENSURE_CRDS], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${ENSURE_CRDS} failed: ${stderr.trim() || err.message}`));
      else resolveDir(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

/**
 * Server-side applies every CustomResourceDefinition of the pinned standard channel (the upstream
 * ValidatingAdmissionPolicy beside them is left out: it only guards CRD upgrades) and waits until
 * HTTPRoutes are served. Returns the names of the CRDs.
 */
export async function installGatewayApiCrds(kubeConfig: KubeConfig, timeoutMs = 30_000): Promise<string[]> {
  const k8s = await import('@kubernetes/client-node');
  const ext: ApiextensionsV1Api = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  const custom: CustomObjectsApi = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
  const dir = await gatewayApiCrdsDir();
  const crds = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map(
        (d) => d.toJS() as { kind?: string; metadata: { name: string } } | null,
      ),
    )
    .filter((o): o is { kind: string; metadata: { name: string } } => o?.kind === 'CustomResourceDefinition');
  for (const crd of crds) {
    await ext.patchCustomResourceDefinition(
      { name: crd.metadata.name, body: crd, fieldManager: 'release-promote-tests', force: true },
      apply,
    );
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // Established comes a moment before the resource is served.
  for (;;) {
    try {
      await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return crds.map((c) => c.metadata.name);
}

/** JSON with sorted keys: the API server returns custom objects' fields in its own order. */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

function isConflict(e: unknown): boolean {
  return (e as { code?: number }).code === 409;
}
