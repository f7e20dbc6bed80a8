// The Gateway API traffic router: each service's requests are split between its stable and canary
// pods by the weights of an HTTPRoute's backendRefs (gateway.networking.k8s.io/v1), in the
// environment's namespace.
//
// - Services. We own `<service>-stable` and `<service>-canary`: ClusterIP Services selecting the
//   stable Deployment `<service>`'s spec.selector.matchLabels with `track` replaced by `stable` or
//   `canary` (matchExpressions cannot be expressed in a Service selector and are ignored). They are
//   created when absent and marked with MANAGED_BY_LABEL; their ports are copied from a Service
//   named `<service>` when there is one, else DEFAULT_SERVICE_PORTS (80 → 8080). A Service of those
//   names without our label is never changed (ServiceConflict); ours are never updated or deleted.
// - The route is not ours: we never create, delete or replace it. The rules we change are those
//   with a backendRef to a Service (core group, kind Service, in the route's namespace) named
//   `<service>`, `<service>-stable` or `<service>-canary`; every such rule gets exactly
//   [{name: <service>-stable, port, weight: 100-w}, {name: <service>-canary, port, weight: w}]
//   (port: that of the rule's first such backendRef that names one, else the stable Service's first
//   port). A route with no such rule fails with RouteRuleNotFound: we do not guess which of its
//   rules carries the service. The change is one JSON patch (backendRefsPatch) that replaces those
//   rules' backendRefs and sets metadata.resourceVersion to the one we read, a precondition: an edit
//   made since we read the route is never overwritten (the API server answers 409 Conflict; we read
//   again and retry, three times at most). Every other field of the route, other rules included,
//   is left as it is.
// - Acceptance: after a change (or to confirm an unchanged route), we poll the route until, for its
//   current metadata.generation, every entry of status.parents[] has Accepted=True and
//   ResolvedRefs=True with observedGeneration >= generation, and every spec.parentRefs[] entry has a
//   status entry. After acceptanceTimeoutMs the change fails for good (RouteNotAccepted) with one
//   line naming the route, the parent and the condition, e.g.
//     HTTPRoute agentaskit-production/orchestrator: parent gateway/public has Accepted=False
//     (NotAllowedByListeners: ...) for generation 4 after 60s
//   Services are handled one after another, each route accepted before the next service changes.
// - weights(): per service, the first matching rule's weights as percentages (`<service>` and
//   `<service>-stable` count as stable; a missing canary backendRef is 0).
//
// RBAC (GATEWAY_ROUTER_RBAC): in the namespace, get and patch on httproutes.gateway.networking.k8s.io,
// get and create on services, get on deployments.apps. No list, watch, update or delete.
// Errors are explained as errors.ts does for Deployments: missing route (RouteNotFound), RBAC
// (Forbidden) and rejected changes fail for good; an unreachable or overloaded API server is retried.
import { ApplicationFailure } from '@temporalio/common';
import type {
  AppsV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  ObservableMiddleware,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Progress, ServiceWeights, TrafficRouter } from '../ports';
import {
  DEFAULT_POLL_MS,
  kubeRequest,
  seconds,
  loadOnce,
  DEFAULT_REQUEST_TIMEOUT_MS,
  loadKubeConnection,
  pause,
  type KubeConnectionOptions,
  type KubeTiming,
} from './connection';
import { explainKubeError, statusMessage, type KubeIdentity, type KubeVerb } from './errors';
import { TRACK_LABEL } from './target';

export interface GatewayRoutedService {
  /** The service: its stable Deployment (and, optionally, a Service whose ports we copy) are named so. */
  name: string;
  /** The HTTPRoute, in the namespace, whose rule sends this service's requests. Several services may share one. */
  route: string;
}

export interface GatewayApiRouterOptions extends KubeConnectionOptions, KubeTiming {
  namespace: string;
  services: GatewayRoutedService[];
  /** How long the Gateway controller may take to accept a change before it fails with RouteNotAccepted. */
  acceptanceTimeoutMs: number;
  /** The config key of these settings, for messages. Default `environments.<environment>.router`. */
  configKey?: string;
}

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_VERSION = 'v1';
export const HTTPROUTES = 'httproutes';

/** On the Services we create; a Service without it is never changed. */
export const MANAGED_BY_LABEL = 'release-promote.io/managed-by';
export const MANAGED_BY_VALUE = 'release-promote';

/** Ports of the Services we create when there is no Service `<service>` to copy them from. */
export const DEFAULT_SERVICE_PORTS: readonly V1ServicePort[] = [
  { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
];

/** The verbs the router uses, for error messages and the README (deploy/kubernetes/rbac.yaml grants them). */
export const GATEWAY_ROUTER_RBAC =
  'get, patch on httproutes.gateway.networking.k8s.io; get, create on services; get on deployments.apps';

/** GATEWAY_ROUTER_RBAC as Role rules. */
export const GATEWAY_ROUTER_RBAC_RULES: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [
  { apiGroups: [GATEWAY_GROUP], resources: [HTTPROUTES], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'create'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
];

export function stableServiceName(service: string): string {
  return `${service}-stable`;
}
export function canaryServiceName(service: string): string {
  return `${service}-canary`;
}

// The parts of an HTTPRoute (gateway.networking.k8s.io/v1) the router reads and writes.
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: unknown[];
}
export interface HTTPRouteRule {
  backendRefs?: HTTPBackendRef[];
  [field: string]: unknown;
}
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}
export interface RouteCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}
export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions?: RouteCondition[];
}
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: { parentRefs?: ParentReference[]; rules?: HTTPRouteRule[]; [field: string]: unknown };
  status?: { parents?: RouteParentStatus[] };
}

type Resource = 'httproutes.gateway.networking.k8s.io' | 'services' | 'deployments.apps';

interface Call {
  verb: KubeVerb;
  resource: Resource;
  name: string;
}

interface Clients {
  custom: CustomObjectsApi;
  core: CoreV1Api;
  apps: AppsV1Api;
}

interface Connection {
  clients: Clients;
  identity: KubeIdentity;
  options: (signal: AbortSignal, contentType?: string) => ConfigurationOptions<ObservableMiddleware>;
}

type Options = (contentType?: string) => ConfigurationOptions<ObservableMiddleware>;

const JSON_PATCH = 'application/json-patch+json';
/** How messages name an object of each resource. */
const KINDS: Record<Resource, string> = {
  'httproutes.gateway.networking.k8s.io': 'HTTPRoute',
  services: 'service',
  'deployments.apps': 'deployment',
};
const NOT_FOUND_TYPES: Record<Resource, string> = {
  'httproutes.gateway.networking.k8s.io': 'RouteNotFound',
  services: 'ServiceNotFound',
  'deployments.apps': 'DeploymentNotFound',
};

export class GatewayApiRouter implements TrafficRouter {
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly o: GatewayApiRouterOptions) {
    this.pollMs = o.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Every route exists and has a rule we may change (RouteNotFound, RouteRuleNotFound otherwise). */
  async check(canaryPercents: number[]): Promise<void> {
    canaryPercents.forEach(checkWeight);
    for (const svc of this.o.services) ruleIndices(await this.readRoute(svc.route), svc.name, this.o.namespace);
  }

  async setCanaryWeight(canaryPercent: number, progress: Progress): Promise<ServiceWeights[]> {
    checkWeight(canaryPercent);
    for (const svc of this.o.services) {
      const port = await this.ensureServices(svc.name, progress);
      await this.applyWeight(svc, canaryPercent, port, progress);
      await this.waitForAcceptance(svc.route, progress);
    }
    return this.weights();
  }

  async weights(): Promise<ServiceWeights[]> {
    return Promise.all(
      this.o.services.map(async (svc) => weightsOf(await this.readRoute(svc.route), svc.name, this.o.namespace)),
    );
  }

  /**
   * Creates `<service>-stable` and `<service>-canary` when absent, after checking that neither exists
   * without our label (then nothing is created); returns the stable Service's first port.
   */
  private async ensureServices(service: string, progress: Progress): Promise<number> {
    const tracks = [
      { track: 'stable', name: stableServiceName(service) },
      { track: 'canary', name: canaryServiceName(service) },
    ] as const;
    const existing = await Promise.all(tracks.map(({ name }) => this.readServiceOptional(name)));
    tracks.forEach(({ name }, i) => {
      const s = existing[i];
      if (s) this.assertOurService(s, name);
    });
    let template: { selector: Record<string, string>; ports: V1ServicePort[] } | undefined;
    for (const [i, { track, name }] of tracks.entries()) {
      if (existing[i]) continue;
      template ??= await this.serviceTemplate(service);
      const body: V1Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: this.o.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
        spec: {
          type: 'ClusterIP',
          selector: { ...template.selector, [TRACK_LABEL]: track },
          ports: structuredClone(template.ports),
        },
      };
      try {
        existing[i] = await this.call({ verb: 'create', resource: 'services', name }, (c, options) =>
          c.core.createNamespacedService({ namespace: this.o.namespace, body }, options()),
        );
        progress(`service ${name} created (selector ${formatLabels(body.spec?.selector ?? {})})`);
      } catch (err) {
        // Created concurrently (409 AlreadyExists): whose is it?
        if (!(err instanceof ApplicationFailure && err.type === 'KubernetesConflict')) throw err;
        const raced = await this.readServiceOptional(name);
        if (raced === null) throw err;
        this.assertOurService(raced, name);
        existing[i] = raced;
      }
    }
    return existing[0]?.spec?.ports?.[0]?.port ?? DEFAULT_SERVICE_PORTS[0]!.port;
  }

  /** The selector (the stable Deployment's, without track) and the ports (of Service `<service>`, or the default). */
  private async serviceTemplate(
    service: string,
  ): Promise<{ selector: Record<string, string>; ports: V1ServicePort[] }> {
    const deployment = await this.call({ verb: 'get', resource: 'deployments.apps', name: service }, (c, options) =>
      c.apps.readNamespacedDeployment({ name: service, namespace: this.o.namespace }, options()),
    );
    const selector = { ...deployment.spec?.selector.matchLabels };
    delete selector[TRACK_LABEL];
    if (Object.keys(selector).length === 0) {
      throw ApplicationFailure.nonRetryable(
        `deployment ${service} in namespace ${this.o.namespace} selects its pods by no label besides ${TRACK_LABEL} (spec.selector.matchLabels): cannot build the selectors of services ${stableServiceName(service)} and ${canaryServiceName(service)}`,
        'InvalidSelector',
      );
    }
    const base = await this.readServiceOptional(service);
    const ports = base?.spec?.ports?.length
      ? base.spec.ports.map((p): V1ServicePort => ({
          name: p.name,
          port: p.port,
          targetPort: p.targetPort,
          protocol: p.protocol,
          appProtocol: p.appProtocol,
        }))
      : DEFAULT_SERVICE_PORTS.map((p) => ({ ...p }));
    return { selector, ports };
  }

  private assertOurService(s: V1Service, name: string): void {
    if (s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return;
    throw ApplicationFailure.nonRetryable(
      `service ${name} in namespace ${this.o.namespace} was not created by release-promote (it lacks the label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}); rename or remove it, release-promote will not change it`,
      'ServiceConflict',
    );
  }

  /** Patches the service's rule(s) of its route to the weights; nothing when they already are. */
  private async applyWeight(
    svc: GatewayRoutedService,
    canaryPercent: number,
    servicePort: number,
    progress: Progress,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const route = await this.readRoute(svc.route);
      const patch = backendRefsPatch(route, svc.name, this.o.namespace, canaryPercent, servicePort);
      const what = `HTTPRoute ${svc.route}: ${svc.name} stable ${100 - canaryPercent} / canary ${canaryPercent}`;
      if (patch === null) {
        progress(`${what} already`);
        return;
      }
      try {
        await this.call(
          { verb: 'patch', resource: 'httproutes.gateway.networking.k8s.io', name: svc.route },
          (c, options) =>
            c.custom.patchNamespacedCustomObject(
              {
                group: GATEWAY_GROUP,
                version: GATEWAY_VERSION,
                namespace: this.o.namespace,
                plural: HTTPROUTES,
                name: svc.route,
                body: patch,
              },
              options(JSON_PATCH),
            ),
        );
        progress(`${what} (was ${formatWeights(weightsOf(route, svc.name, this.o.namespace))})`);
        return;
      } catch (err) {
        // The route changed since we read it (409: its resourceVersion is no longer ours): read it again.
        if (attempt < 3 && err instanceof ApplicationFailure && err.type === 'KubernetesConflict') continue;
        throw err;
      }
    }
  }

  /** Polls the route until every parent accepted its current generation; RouteNotAccepted after the timeout. */
  private async waitForAcceptance(name: string, progress: Progress): Promise<void> {
    const started = Date.now();
    for (let n = 0; ; n++) {
      const route = await this.readRoute(name);
      const state = routeAcceptance(route, this.o.namespace);
      if (state.accepted) {
        progress(`HTTPRoute ${name}: generation ${state.generation} accepted by ${state.detail}`);
        return;
      }
      const left = this.o.acceptanceTimeoutMs - (Date.now() - started);
      if (left <= 0) {
        throw ApplicationFailure.nonRetryable(
          `HTTPRoute ${this.o.namespace}/${name}: ${state.detail} after ${seconds(this.o.acceptanceTimeoutMs)}`,
          'RouteNotAccepted',
        );
      }
      progress(`HTTPRoute ${name}: waiting for the gateway: ${state.detail}`);
      await pause(Math.min(left, this.pollMs, 50 * 2 ** n));
    }
  }

  private async readRoute(name: string): Promise<HTTPRoute> {
    return (await this.call({ verb: 'get', resource: 'httproutes.gateway.networking.k8s.io', name }, (c, options) =>
      c.custom.getNamespacedCustomObject(
        { group: GATEWAY_GROUP, version: GATEWAY_VERSION, namespace: this.o.namespace, plural: HTTPROUTES, name },
        options(),
      ),
    )) as HTTPRoute;
  }

  private async readServiceOptional(name: string): Promise<V1Service | null> {
    try {
      return await this.call({ verb: 'get', resource: 'services', name }, (c, options) =>
        c.core.readNamespacedService({ name, namespace: this.o.namespace }, options()),
      );
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === NOT_FOUND_TYPES.services) return null;
      throw err;
    }
  }

  /** One API request, with a timeout, the activity's cancellation, and errors explained. */
  private async call<T>(call: Call, request: (clients: Clients, options: Options) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    return kubeRequest(
      {
        server: connection.identity.server,
        timeoutMs: this.requestTimeoutMs,
        what: this.describe(call),
        explain: (err) => this.explain(err, call, connection.identity),
      },
      (signal) => request(connection.clients, (contentType) => connection.options(signal, contentType)),
    );
  }

  private describe(call: Call): string {
    return `${call.verb} ${KINDS[call.resource]} ${call.name} in namespace ${this.o.namespace}`;
  }

  /** errors.ts's explanations for the router's resources; a missing route says which of two things is missing. */
  private explain(err: unknown, call: Call, who: KubeIdentity): Error {
    const ns = this.o.namespace;
    if (isApiException(err) && err.code === 404 && call.resource === 'httproutes.gateway.networking.k8s.io') {
      const message = statusMessage(err.body);
      const objectMissing = message?.includes(`"${call.name}" not found`) ?? false;
      return ApplicationFailure.nonRetryable(
        oneLine(
          objectMissing
            ? `HTTPRoute ${call.name} not found in namespace ${ns} (release-promote changes the weights of an existing route; it never creates one)`
            : `HTTPRoute ${call.name} not found in namespace ${ns}: the Kubernetes API server at ${who.server} does not serve ${GATEWAY_GROUP}/${GATEWAY_VERSION} ${HTTPROUTES} (are the Gateway API CRDs installed?)${message ? `: ${message}` : ''}`,
        ),
        NOT_FOUND_TYPES[call.resource],
      );
    }
    return explainKubeError(
      err,
      {
        verb: call.verb,
        name: call.name,
        namespace: ns,
        resource: { plural: call.resource, kind: KINDS[call.resource], notFoundType: NOT_FOUND_TYPES[call.resource] },
        rbac: GATEWAY_ROUTER_RBAC,
      },
      who,
    );
  }

  private readonly connect = loadOnce(() => this.load());

  private async load(): Promise<Connection> {
    const key = this.o.configKey ?? `environments.${this.o.environment}.router`;
    const c = await loadKubeConnection(this.o, `${key}.context`);
    const kc = c.kubeConfig;
    return {
      clients: {
        custom: kc.makeApiClient(c.k8s.CustomObjectsApi),
        core: kc.makeApiClient(c.k8s.CoreV1Api),
        apps: kc.makeApiClient(c.k8s.AppsV1Api),
      },
      identity: c.identity,
      options: c.options,
    };
  }
}

/** Whether `ref` is one of the service's Services (`<service>`, `-stable`, `-canary`) in the route's namespace. */
export function refersTo(ref: HTTPBackendRef, service: string, routeNamespace: string): boolean {
  return (
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service' &&
    (ref.namespace ?? routeNamespace) === routeNamespace &&
    [service, stableServiceName(service), canaryServiceName(service)].includes(ref.name)
  );
}

/** Indices of the rules with a backendRef to the service; RouteRuleNotFound when there is none. */
export function ruleIndices(route: HTTPRoute, service: string, routeNamespace: string): number[] {
  const indices = (route.spec?.rules ?? []).flatMap((rule, i) =>
    (rule.backendRefs ?? []).some((r) => refersTo(r, service, routeNamespace)) ? [i] : [],
  );
  if (indices.length > 0) return indices;
  throw ApplicationFailure.nonRetryable(
    `HTTPRoute ${routeNamespace}/${route.metadata?.name ?? '?'} has no rule with a backendRef to service ${service}, ${stableServiceName(service)} or ${canaryServiceName(service)}; release-promote changes only such a rule's backendRefs`,
    'RouteRuleNotFound',
  );
}

export function desiredBackendRefs(service: string, port: number, canaryPercent: number): HTTPBackendRef[] {
  return [
    { name: stableServiceName(service), port, weight: 100 - canaryPercent },
    { name: canaryServiceName(service), port, weight: canaryPercent },
  ];
}

/**
 * The JSON patch that gives the service's rule(s) of `route` the weights, or null when they have
 * them. It sets metadata.resourceVersion to the one read, which the API server takes as a
 * precondition: if the route changed since, the patch fails with 409 Conflict instead of
 * overwriting that change. (A JSON patch `test` op would fail with an unexplained 422 Invalid.)
 */
export function backendRefsPatch(
  route: HTTPRoute,
  service: string,
  routeNamespace: string,
  canaryPercent: number,
  servicePort: number,
): object[] | null {
  const rules = route.spec?.rules ?? [];
  const ops: object[] = [];
  for (const i of ruleIndices(route, service, routeNamespace)) {
    const refs = rules[i]?.backendRefs ?? [];
    const port = refs.find((r) => refersTo(r, service, routeNamespace) && r.port !== undefined)?.port;
    const desired = desiredBackendRefs(service, port ?? servicePort, canaryPercent);
    if (!sameBackendRefs(refs, desired))
      ops.push({ op: 'replace', path: `/spec/rules/${i}/backendRefs`, value: desired });
  }
  if (ops.length === 0) return null;
  return [{ op: 'replace', path: '/metadata/resourceVersion', value: route.metadata?.resourceVersion }, ...ops];
}

/** Whether the stored refs are `desired` (the API server adds group: "" and kind: Service). */
function sameBackendRefs(refs: HTTPBackendRef[], desired: HTTPBackendRef[]): boolean {
  return (
    refs.length === desired.length &&
    refs.every((r, i) => {
      const d = desired[i]!;
      const extra = Object.keys(r).filter((k) => !['group', 'kind', 'name', 'port', 'weight'].includes(k));
      return (
        extra.length === 0 &&
        (r.group ?? '') === '' &&
        (r.kind ?? 'Service') === 'Service' &&
        r.name === d.name &&
        r.port === d.port &&
        r.weight === d.weight
      );
    })
  );
}

/** The service's split in its first matching rule, in percent of requests (weights default to 1). */
export function weightsOf(route: HTTPRoute, service: string, routeNamespace: string): ServiceWeights {
  const [first] = ruleIndices(route, service, routeNamespace);
  const refs = (route.spec?.rules?.[first!]?.backendRefs ?? []).filter((r) => refersTo(r, service, routeNamespace));
  const sum = (names: string[]) =>
    refs.filter((r) => names.includes(r.name)).reduce((total, r) => total + (r.weight ?? 1), 0);
  const stable = sum([service, stableServiceName(service)]);
  const canary = sum([canaryServiceName(service)]);
  const total = stable + canary;
  if (total === 0) return { service, stable: 0, canary: 0 };
  const canaryPct = Math.round((canary * 100) / total);
  return { service, stable: 100 - canaryPct, canary: canaryPct };
}

export type RouteAcceptance =
  | { accepted: true; generation: number; /** the parents that accepted it */ detail: string }
  | { accepted: false; generation: number; /** the first parent that has not, and why */ detail: string };

const REQUIRED_CONDITIONS = ['Accepted', 'ResolvedRefs'] as const;

/**
 * Whether every parent accepted the route's current generation: each status.parents[] entry has
 * Accepted and ResolvedRefs True with observedGeneration >= metadata.generation, and each
 * spec.parentRefs[] entry has a status entry.
 */
export function routeAcceptance(route: HTTPRoute, routeNamespace: string): RouteAcceptance {
  const generation = route.metadata?.generation ?? 0;
  const parents = route.status?.parents ?? [];
  const refs = route.spec?.parentRefs ?? [];
  const not = (detail: string): RouteAcceptance => ({ accepted: false, generation, detail: oneLine(detail) });
  for (const ref of refs) {
    if (!parents.some((p) => sameParent(p.parentRef, ref, routeNamespace)))
      return not(`parent ${parentName(ref, routeNamespace)} has reported no status for generation ${generation}`);
  }
  if (parents.length === 0) return not(`the route has no parentRefs, so no gateway serves generation ${generation}`);
  for (const p of parents) {
    const parent = parentName(p.parentRef, routeNamespace);
    for (const type of REQUIRED_CONDITIONS) {
      const c = p.conditions?.find((x) => x.type === type);
      if (!c) return not(`parent ${parent} reports no ${type} condition for generation ${generation}`);
      if ((c.observedGeneration ?? 0) < generation)
        return not(
          `parent ${parent} has not observed generation ${generation} (its ${type}=${c.status} is for generation ${c.observedGeneration ?? 0})`,
        );
      if (c.status !== 'True') {
        const why = [c.reason, c.message?.trim()].filter((s) => s).join(': ');
        return not(`parent ${parent} has ${type}=${c.status}${why ? ` (${why})` : ''} for generation ${generation}`);
      }
    }
  }
  return {
    accepted: true,
    generation,
    detail: [...new Set(parents.map((p) => parentName(p.parentRef, routeNamespace)))].join(', '),
  };
}

function sameParent(a: ParentReference, b: ParentReference, routeNamespace: string): boolean {
  return (
    (a.group ?? GATEWAY_GROUP) === (b.group ?? GATEWAY_GROUP) &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
    a.name === b.name &&
    a.sectionName === b.sectionName &&
    a.port === b.port
  );
}

/** `namespace/name`, with the listener (section) or port when the parentRef names one. */
function parentName(ref: ParentReference, routeNamespace: string): string {
  const at = [ref.sectionName && `section ${ref.sectionName}`, ref.port !== undefined && `port ${ref.port}`]
    .filter((s) => s)
    .join(', ');
  return `${ref.namespace ?? routeNamespace}/${ref.name}${at ? ` (${at})` : ''}`;
}

function checkWeight(canaryPercent: number): void {
  if (!Number.isInteger(canaryPercent) || canaryPercent < 0 || canaryPercent > 100) {
    throw ApplicationFailure.nonRetryable(
      `a canary weight is a whole percentage from 0 to 100 (HTTPRoute weights are integers), not ${canaryPercent}`,
      'InvalidInput',
    );
  }
}

function isApiException(err: unknown): err is Error & { code: number; body: unknown } {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code >= 100 && code < 600 && 'body' in err;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function formatWeights(w: ServiceWeights): string {
  return `stable ${w.stable} / canary ${w.canary}`;
}
