// The Gateway API traffic router against a real kube-apiserver + etcd with the pinned Gateway API
// CRDs (scripts/k8s/ensure-gateway-api-crds.sh), the test playing the Gateway controller
// (test/helpers/fake-gateway-controller.ts): exact backendRefs weights, their order, acceptance and
// its failure, leaving what is not ours alone, and RBAC with exactly the verbs of
// deploy/kubernetes/rbac.yaml.
// Run: node --import tsx --test test/kubernetes/gateway-router.test.ts
// (builds kube-apiserver on first use: scripts/k8s/ensure-kube-binaries.sh, 10-20 minutes cold)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node' with {
  'resolution-mode': 'import',
};
import { failure } from '../helpers/kube-fixtures';
import { startKubeApiServer, writeUnreachableKubeconfig, type KubeApiServer } from '../helpers/kube-apiserver';
import { bindRole, shippedRoleRules, untilRbacPropagates } from '../helpers/kube-rbac';
import {
  FAKE_GATEWAY_CONTROLLER_NAME,
  installGatewayApiCrds,
  startFakeGatewayController,
  type FakeGatewayController,
} from '../helpers/fake-gateway-controller';
import {
  backendRefsPatch,
  GATEWAY_ROUTER_RBAC_RULES,
  GatewayApiRouter,
  MANAGED_BY_LABEL,
  routeAcceptance,
  type GatewayApiRouterOptions,
  type HTTPRoute,
} from '../../src/activities/kubernetes/gateway-router';

type K8s = typeof K8sModule;

const NAMESPACE = 'agentaskit-production';
const RBAC_NAMESPACE = 'agentaskit-rbac';
const GATEWAY_NAMESPACE = 'gateway';
const REFUSED = 'billing';
const REFUSAL = {
  reason: 'NotAllowedByListeners',
  message: `No listener of gateway/public allows routes from namespace ${NAMESPACE}`,
};
const ROUTE_GVR = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

type RouteBody = HTTPRoute & { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };

/** A stable Deployment (nothing runs it: the router only reads its selector). */
function deployment(name: string) {
  const labels = { app: name, track: 'stable' };
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { ...labels, tier: 'backend' } },
      template: {
        metadata: { labels: { ...labels, tier: 'backend' } },
        spec: { containers: [{ name: 'app', image: `registry.example/${name}:v1.0.0` }] },
      },
    },
  };
}

/** Someone else's route: a health rule to a Service that is not ours, then the service's rule. */
function route(name: string, backend: { name: string; port: number }): RouteBody {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, labels: { team: 'platform' }, annotations: { 'example.net/owner': 'platform-team' } },
    spec: {
      parentRefs: [{ name: 'public', namespace: GATEWAY_NAMESPACE, sectionName: 'https' }],
      hostnames: [`${name}.agentaskit.example`],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/healthz' } }],
          backendRefs: [{ name: 'static-health', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-env', value: 'prod' }] } },
          ],
          backendRefs: [backend],
          timeouts: { request: '30s' },
        },
      ],
    },
  };
}

/** The client deserializes into model classes; compare their data. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The route without what the API server or the controller change, and without the backendRefs of rule `rule`. */
function withoutOurs(r: HTTPRoute, rule: number): unknown {
  const copy = plain(r) as HTTPRoute & { metadata: Record<string, unknown> };
  for (const k of ['resourceVersion', 'generation', 'managedFields']) delete copy.metadata[k];
  delete copy.status;
  const rules = copy.spec?.rules ?? [];
  if (rules[rule]) rules[rule].backendRefs = [];
  return copy;
}

void describe('GatewayApiRouter against a real kube-apiserver with the Gateway API CRDs', () => {
  let k8s: K8s;
  let server: KubeApiServer;
  let controller: FakeGatewayController;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const started = Date.now();

  const router = (overrides: Partial<GatewayApiRouterOptions> = {}) =>
    new GatewayApiRouter({
      environment: 'production',
      namespace: NAMESPACE,
      services: [
        { name: 'orchestrator', route: 'orchestrator' },
        { name: 'api-gateway', route: 'api-gateway' },
      ],
      kubeconfig: server.kubeconfigPath,
      inCluster: false,
      acceptanceTimeoutMs: 10_000,
      pollIntervalMs: 50,
      ...overrides,
    });
  const readRoute = async (name: string, namespace = NAMESPACE) =>
    (await custom.getNamespacedCustomObject({ ...ROUTE_GVR, namespace, name })) as HTTPRoute;
  const createRoute = (body: HTTPRoute, namespace = NAMESPACE) =>
    custom.createNamespacedCustomObject({ ...ROUTE_GVR, namespace, body });

  before(async () => {
    k8s = await import('@kubernetes/client-node');
    server = await startKubeApiServer();
    const t0 = Date.now();
    const crds = await installGatewayApiCrds(server.kubeConfig);
    console.log(
      `kube-apiserver ready in ${server.startupMs} ms; ${crds.length} CRDs installed in ${Date.now() - t0} ms`,
    );
    custom = server.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    core = server.kubeConfig.makeApiClient(k8s.CoreV1Api);
    apps = server.kubeConfig.makeApiClient(k8s.AppsV1Api);
    for (const namespace of [NAMESPACE, RBAC_NAMESPACE, GATEWAY_NAMESPACE])
      await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (const namespace of [NAMESPACE, RBAC_NAMESPACE]) {
      for (const name of ['orchestrator', 'api-gateway', REFUSED, 'workers'])
        await apps.createNamespacedDeployment({ namespace, body: deployment(name) });
      // orchestrator has its own Service (whose ports ours copy); api-gateway has none (default ports).
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'orchestrator' },
          spec: {
            selector: { app: 'orchestrator' },
            ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
          },
        },
      });
      await core.createNamespacedService({
        namespace,
        body: { metadata: { name: 'static-health' }, spec: { selector: { app: 'nginx' }, ports: [{ port: 80 }] } },
      });
      await createRoute(route('orchestrator', { name: 'orchestrator', port: 8080 }), namespace);
    }
    await createRoute(route('api-gateway', { name: 'api-gateway-stable', port: 80 }));
    await createRoute(route(REFUSED, { name: REFUSED, port: 80 }));
    controller = await startFakeGatewayController(server.kubeConfig, {
      namespaces: [NAMESPACE, RBAC_NAMESPACE],
      refuse: (r) => (r.metadata?.name === REFUSED ? REFUSAL : null),
    });
  });

  after(async () => {
    await controller?.stop();
    await server?.stop();
    console.log(`GatewayApiRouter suite took ${Date.now() - started} ms`);
  });

  void test('weight 10: exactly stable 90 / canary 10 backendRefs, our Services created, the route Accepted', async () => {
    const before = await readRoute('orchestrator');
    const baseService = await core.readNamespacedService({ name: 'orchestrator', namespace: NAMESPACE });
    const progress: string[] = [];

    const weights = await router().setCanaryWeight(10, (d) => progress.push(d));

    assert.deepEqual(weights, [
      { service: 'orchestrator', stable: 90, canary: 10 },
      { service: 'api-gateway', stable: 90, canary: 10 },
    ]);
    const after = await readRoute('orchestrator');
    assert.deepEqual(after.spec?.rules?.[1]?.backendRefs, [
      { group: '', kind: 'Service', name: 'orchestrator-stable', port: 8080, weight: 90 },
      { group: '', kind: 'Service', name: 'orchestrator-canary', port: 8080, weight: 10 },
    ]);
    // Accepted and ResolvedRefs for the new generation, as the (fake) controller wrote them.
    assert.equal(after.metadata?.generation, (before.metadata?.generation ?? 0) + 1);
    assert.deepEqual(routeAcceptance(after, NAMESPACE), {
      accepted: true,
      generation: after.metadata?.generation,
      detail: 'gateway/public (section https)',
    });
    const [parent] = after.status?.parents ?? [];
    assert.equal(parent?.controllerName, FAKE_GATEWAY_CONTROLLER_NAME);
    assert.deepEqual(
      parent?.conditions?.map((c) => [c.type, c.status, c.observedGeneration]),
      [
        ['Accepted', 'True', after.metadata?.generation],
        ['ResolvedRefs', 'True', after.metadata?.generation],
      ],
    );
    // Everything else in the route is as it was: the other rule, filters, matches, timeouts, metadata.
    assert.deepEqual(withoutOurs(after, 1), withoutOurs(before, 1));
    assert.deepEqual((await readRoute('api-gateway')).spec?.rules?.[1]?.backendRefs, [
      { group: '', kind: 'Service', name: 'api-gateway-stable', port: 80, weight: 90 },
      { group: '', kind: 'Service', name: 'api-gateway-canary', port: 80, weight: 10 },
    ]);

    // Our Services: the Deployment's selector with track, ports copied from Service orchestrator.
    for (const track of ['stable', 'canary']) {
      const s = await core.readNamespacedService({ name: `orchestrator-${track}`, namespace: NAMESPACE });
      assert.equal(s.metadata?.labels?.[MANAGED_BY_LABEL], 'release-promote');
      assert.deepEqual(s.spec?.selector, { app: 'orchestrator', tier: 'backend', track });
      assert.deepEqual(
        s.spec?.ports?.map((p) => [p.name, p.port, p.targetPort, p.protocol]),
        [['http', 8080, 'http', 'TCP']],
      );
      const gw = await core.readNamespacedService({ name: `api-gateway-${track}`, namespace: NAMESPACE });
      assert.deepEqual(
        gw.spec?.ports?.map((p) => [p.port, p.targetPort]),
        [[80, 8080]],
        'default ports without a Service api-gateway',
      );
    }
    const baseAfter = await core.readNamespacedService({ name: 'orchestrator', namespace: NAMESPACE });
    assert.equal(baseAfter.metadata?.resourceVersion, baseService.metadata?.resourceVersion, 'not ours: unchanged');
    assert.ok(
      progress.some((p) => p.startsWith('service orchestrator-canary created')),
      progress.join('\n'),
    );
    assert.ok(progress.some((p) => /^HTTPRoute orchestrator: generation \d+ accepted by gateway\/public/.test(p)));
  });

  void test('weights 10 → 25 → 50 → 0 reach the route in that order; the same weight again writes nothing', async () => {
    const r = router();
    for (const w of [10, 25, 50, 0]) {
      const weights = await r.setCanaryWeight(w, () => undefined);
      assert.deepEqual(
        weights.map((x) => [x.stable, x.canary]),
        [
          [100 - w, w],
          [100 - w, w],
        ],
      );
    }
    assert.deepEqual(await r.weights(), [
      { service: 'orchestrator', stable: 100, canary: 0 },
      { service: 'api-gateway', stable: 100, canary: 0 },
    ]);
    const history = controller.history(NAMESPACE, 'orchestrator');
    assert.deepEqual(
      history.map((h) => h.rules[1]),
      [
        [{ name: 'orchestrator', port: 8080, weight: 1 }],
        ...[10, 25, 50, 0].map((w) => [
          { name: 'orchestrator-stable', port: 8080, weight: 100 - w },
          { name: 'orchestrator-canary', port: 8080, weight: w },
        ]),
      ],
    );
    for (let i = 1; i < history.length; i++) {
      assert.ok(history[i]!.generation > history[i - 1]!.generation);
      assert.ok(history[i]!.at >= history[i - 1]!.at);
    }

    const before = await readRoute('orchestrator');
    const writes = controller.writes.length;
    const progress: string[] = [];
    await r.setCanaryWeight(0, (d) => progress.push(d));
    const after = await readRoute('orchestrator');
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'idempotent: no write');
    assert.equal(controller.writes.length, writes);
    assert.ok(
      progress.includes('HTTPRoute orchestrator: orchestrator stable 100 / canary 0 already'),
      progress.join('\n'),
    );
  });

  void test('an edit made to the route after the router read it is not overwritten (409, then read again)', async () => {
    const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
    const stale = await readRoute('orchestrator');
    const patch = backendRefsPatch(stale, 'orchestrator', NAMESPACE, 33, 8080);
    assert.ok(patch);
    // Another team adds a hostname between the router's read and its patch.
    await custom.patchNamespacedCustomObject(
      {
        ...ROUTE_GVR,
        namespace: NAMESPACE,
        name: 'orchestrator',
        body: [{ op: 'add', path: '/spec/hostnames/-', value: 'orchestrator.internal' }],
      },
      jsonPatch,
    );
    await assert.rejects(
      custom.patchNamespacedCustomObject(
        { ...ROUTE_GVR, namespace: NAMESPACE, name: 'orchestrator', body: patch },
        jsonPatch,
      ),
      (err) => (err as { code?: number }).code === 409,
    );
    const hostnames = ['orchestrator.agentaskit.example', 'orchestrator.internal'];
    assert.deepEqual((await readRoute('orchestrator')).spec?.hostnames, hostnames);
    // The router itself reads the current route: the edit stays and the weights change.
    await router({ services: [{ name: 'orchestrator', route: 'orchestrator' }] }).setCanaryWeight(33, () => undefined);
    const after = await readRoute('orchestrator');
    assert.deepEqual(after.spec?.hostnames, hostnames);
    assert.deepEqual(
      after.spec?.rules?.[1]?.backendRefs?.map((b) => [b.name, b.weight]),
      [
        ['orchestrator-stable', 67],
        ['orchestrator-canary', 33],
      ],
    );
  });

  void test('a route that is never Accepted fails with one line naming the route, the parent and the condition', async () => {
    const progress: string[] = [];
    const r = router({ services: [{ name: REFUSED, route: REFUSED }], acceptanceTimeoutMs: 1_000 });
    const t0 = Date.now();
    await assert.rejects(
      r.setCanaryWeight(10, (d) => progress.push(d)),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'RouteNotAccepted');
        assert.equal(f.nonRetryable, true);
        assert.equal(
          f.message,
          `HTTPRoute ${NAMESPACE}/${REFUSED}: parent gateway/public (section https) has Accepted=False (${REFUSAL.reason}: ${REFUSAL.message}) for generation 2 after 1s`,
        );
        assert.ok(!f.message.includes('\n'));
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 5_000);
    // It heartbeated while waiting.
    assert.ok(progress.filter((p) => p.startsWith(`HTTPRoute ${REFUSED}: waiting for the gateway: `)).length >= 2);
    // A backend Service that does not exist: ResolvedRefs=False, as a real controller reports it.
    await createRoute(route('ghost', { name: 'ghost', port: 80 }));
    await custom.patchNamespacedCustomObject(
      {
        ...ROUTE_GVR,
        namespace: NAMESPACE,
        name: 'ghost',
        body: [{ op: 'add', path: '/spec/rules/0/backendRefs/-', value: { name: 'missing', port: 80 } }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: deployment('ghost') });
    const ghost = router({ services: [{ name: 'ghost', route: 'ghost' }], acceptanceTimeoutMs: 500 });
    await assert.rejects(
      ghost.setCanaryWeight(10, () => undefined),
      (err) => {
        assert.equal(
          failure(err).message,
          `HTTPRoute ${NAMESPACE}/ghost: parent gateway/public (section https) has ResolvedRefs=False (BackendNotFound: service "${NAMESPACE}/missing" not found) for generation 3 after 0.5s`,
        );
        return true;
      },
    );
  });

  void test('a Service of ours by name but not by label is refused and nothing is changed', async () => {
    const existing = await core.createNamespacedService({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'workers-canary', labels: { app: 'workers' } },
        spec: { selector: { app: 'workers', track: 'canary' }, ports: [{ port: 9090 }] },
      },
    });
    await createRoute(route('workers', { name: 'workers', port: 80 }));
    const before = await readRoute('workers');
    await assert.rejects(
      router({ services: [{ name: 'workers', route: 'workers' }] }).setCanaryWeight(10, () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'ServiceConflict');
        assert.equal(f.nonRetryable, true);
        assert.equal(
          f.message,
          `service workers-canary in namespace ${NAMESPACE} was not created by release-promote (it lacks the label release-promote.io/managed-by=release-promote); rename or remove it, release-promote will not change it`,
        );
        return true;
      },
    );
    const after = await core.readNamespacedService({ name: 'workers-canary', namespace: NAMESPACE });
    assert.equal(after.metadata?.resourceVersion, existing.metadata?.resourceVersion);
    assert.deepEqual(plain(after.spec?.selector), { app: 'workers', track: 'canary' });
    assert.equal((await readRoute('workers')).metadata?.resourceVersion, before.metadata?.resourceVersion);
    await assert.rejects(
      core.readNamespacedService({ name: 'workers-stable', namespace: NAMESPACE }),
      /404|not found/i,
    );
  });

  void test('a missing route fails with RouteNotFound naming the route and the namespace', async () => {
    await assert.rejects(router({ services: [{ name: 'orchestrator', route: 'nowhere' }] }).weights(), (err) => {
      const f = failure(err);
      assert.equal(f.type, 'RouteNotFound');
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, /^HTTPRoute nowhere not found in namespace agentaskit-production \(/);
      return true;
    });
    await assert.rejects(
      router({ services: [{ name: 'orchestrator', route: 'nowhere' }] }).setCanaryWeight(10, () => undefined),
      (err) => failure(err).type === 'RouteNotFound',
    );
  });

  void test('with exactly the rules of deploy/kubernetes/rbac.yaml the whole flow works; a missing verb is a one-line Forbidden', async () => {
    const rules = shippedRoleRules()[0] ?? [];
    // The manifest grants at least what the router says it uses.
    for (const need of GATEWAY_ROUTER_RBAC_RULES) {
      for (const verb of need.verbs) {
        assert.ok(
          rules.some(
            (r) =>
              r.apiGroups?.includes(need.apiGroups[0]!) &&
              r.resources?.includes(need.resources[0]!) &&
              r.verbs.includes(verb),
          ),
          `rbac.yaml grants ${verb} on ${need.resources[0]}`,
        );
      }
    }
    const limited = router({
      context: 'limited',
      namespace: RBAC_NAMESPACE,
      services: [{ name: 'orchestrator', route: 'orchestrator' }],
    });

    // Without any binding: the first read is refused.
    await assert.rejects(limited.weights(), (err) => {
      const f = failure(err);
      assert.equal(f.type, 'Forbidden');
      assert.match(
        f.message,
        /^forbidden: user "limited" may not get httproutes\.gateway\.networking\.k8s\.io in namespace agentaskit-rbac \(kubeconfig context "limited"/,
      );
      return true;
    });

    // Everything but patch on httproutes: Services are created, the patch is refused in one line.
    const withoutPatch = rules.map((r) =>
      r.resources?.includes('httproutes') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r,
    );
    await bindRole(server.kubeConfig, RBAC_NAMESPACE, 'release-promote-no-patch', withoutPatch);
    await assert.rejects(
      untilRbacPropagates(
        () => limited.setCanaryWeight(10, () => undefined),
        (f) => / may not get /.test(f.message),
      ),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'Forbidden');
        assert.equal(f.nonRetryable, true);
        assert.ok(!f.message.includes('\n'), f.message);
        assert.match(
          f.message,
          /^forbidden: user "limited" may not patch httproutes\.gateway\.networking\.k8s\.io in namespace agentaskit-rbac \(kubeconfig context "limited" \(user limited\) at https:\/\/127\.0\.0\.1:\d+\): .*cannot patch resource "httproutes".*\. Bind it to a Role in agentaskit-rbac allowing get, patch on httproutes\.gateway\.networking\.k8s\.io; get, create on services; get on deployments\.apps\.$/,
        );
        return true;
      },
    );

    // Exactly the manifest's rules.
    await bindRole(server.kubeConfig, RBAC_NAMESPACE, 'release-promote', rules);
    const weights = await untilRbacPropagates(
      () => limited.setCanaryWeight(25, () => undefined),
      (f) => / may not patch /.test(f.message),
    );
    assert.deepEqual(weights, [{ service: 'orchestrator', stable: 75, canary: 25 }]);
    assert.deepEqual(await limited.setCanaryWeight(25, () => undefined), weights, 'idempotent');
    assert.deepEqual(await limited.setCanaryWeight(0, () => undefined), [
      { service: 'orchestrator', stable: 100, canary: 0 },
    ]);
    assert.deepEqual(
      controller.history(RBAC_NAMESPACE, 'orchestrator').map((h) => h.rules[1]?.map((b) => b.weight)),
      [[1], [75, 25], [100, 0]],
    );
  });

  void test('an unreachable API server is a retryable error naming the server', async () => {
    const { kubeconfig, url } = await writeUnreachableKubeconfig(server);
    await assert.rejects(router({ kubeconfig }).weights(), (err) => {
      const f = failure(err);
      assert.equal(f.nonRetryable, false, 'Temporal retries it');
      assert.equal(f.type, 'KubernetesUnreachable');
      assert.ok(
        f.message.startsWith(
          `cannot reach the Kubernetes API server at ${url} to get HTTPRoute orchestrator in namespace agentaskit-production: `,
        ),
        f.message,
      );
      return true;
    });
  });

  void test('the fake controller saw no errors', () => {
    assert.deepEqual(
      controller.errors.map((e) => e.message),
      [],
    );
  });
});
