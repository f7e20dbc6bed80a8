// The replica-ratio traffic router against a real kube-apiserver + etcd, with the test playing the
// Deployment controller (test/helpers/fake-deployment-controller.ts) and the canaries made by
// KubernetesTarget.deployCanary as a release makes them: the split closest to the weight at the same
// pod total, the stable track's own count recorded and restored, refusals that change nothing, a
// Deployment named like a canary but not ours, and RBAC with exactly the verbs of
// deploy/kubernetes/rbac.yaml.
// Run: node --import tsx --test test/kubernetes/replicas-router.test.ts
// (builds the binaries on first use: scripts/k8s/ensure-kube-binaries.sh, 10-20 minutes cold)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { AppsV1Api } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { failure, stableDeployment } from '../helpers/kube-fixtures';
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver';
import { bindRole, deploymentsRule, shippedDeploymentVerbs, untilRbacPropagates } from '../helpers/kube-rbac';
import { startFakeDeploymentController, type FakeDeploymentController } from '../helpers/fake-deployment-controller';
import { eventually } from '../helpers/eventually';
import {
  KubernetesTarget,
  STABLE_REPLICAS_ANNOTATION,
  type KubernetesService,
} from '../../src/activities/kubernetes/target';
import { ReplicasRouter } from '../../src/activities/kubernetes/replicas-router';
import { replicaShareRefusal } from '../../src/shared/traffic-share';

type K8s = typeof K8sModule;

const NAMESPACE = 'agentaskit-production';
const RBAC_NAMESPACE = 'agentaskit-rbac';
const MAX_SHARE_ERROR_PP = 5;
/** Each test uses its own services, so one kube-apiserver serves the whole file. */
const REPLICAS: Record<string, number> = { 'api-gateway': 10, workers: 20, orchestrator: 2, billing: 4, search: 10 };
const API_GATEWAY: KubernetesService = { name: 'api-gateway' };
const WORKERS: KubernetesService = { name: 'workers', container: 'app' };
const ORCHESTRATOR: KubernetesService = { name: 'orchestrator' };
const BILLING: KubernetesService = { name: 'billing' };
const SEARCH: KubernetesService = { name: 'search' };

const stable = (name: string, version: string) => stableDeployment(name, version, REPLICAS[name]);

const ignore = (): void => undefined;

void describe('ReplicasRouter against a real kube-apiserver', () => {
  let k8s: K8s;
  let server: KubeApiServer;
  let controller: FakeDeploymentController;
  let apps: AppsV1Api;
  const started = Date.now();

  const connection = (overrides: { namespace?: string; context?: string } = {}) => ({
    environment: 'production',
    namespace: NAMESPACE,
    kubeconfig: server.kubeconfigPath,
    inCluster: false,
    ...overrides,
  });
  const target = (services: KubernetesService[], overrides: { namespace?: string; context?: string } = {}) =>
    new KubernetesTarget({ ...connection(overrides), services, rolloutTimeoutMs: 20_000, pollIntervalMs: 100 });
  const router = (services: KubernetesService[], overrides: { namespace?: string; context?: string } = {}) =>
    new ReplicasRouter({ ...connection(overrides), services, maxShareErrorPp: MAX_SHARE_ERROR_PP });

  const read = (name: string, namespace = NAMESPACE) => apps.readNamespacedDeployment({ name, namespace });
  /** [stable replicas, recorded stable replicas, canary replicas] as stored. */
  const stored = async (service: string, namespace = NAMESPACE) => {
    const [stable, canary] = await Promise.all([read(service, namespace), read(`${service}-canary`, namespace)]);
    return [stable.spec?.replicas, stable.metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION], canary.spec?.replicas];
  };
  /**
   * The Deployments' identities once the controller has written the status of their current
   * generation (it writes only then), so an unchanged resourceVersion later means nobody wrote.
   */
  const settled = (names: string[], namespace = NAMESPACE) =>
    eventually(
      `${names.join(', ')} to be reconciled`,
      async () => {
        const ds = await Promise.all(names.map((n) => read(n, namespace)));
        if (!ds.every((d) => d.status?.observedGeneration === d.metadata?.generation)) return undefined;
        return ds.map((d) => ({
          name: d.metadata?.name,
          uid: d.metadata?.uid,
          resourceVersion: d.metadata?.resourceVersion,
          replicas: d.spec?.replicas,
        }));
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  const current = async (names: string[], namespace = NAMESPACE) =>
    (await Promise.all(names.map((n) => read(n, namespace)))).map((d) => ({
      name: d.metadata?.name,
      uid: d.metadata?.uid,
      resourceVersion: d.metadata?.resourceVersion,
      replicas: d.spec?.replicas,
    }));

  before(async () => {
    k8s = await import('@kubernetes/client-node');
    server = await startKubeApiServer();
    console.log(`kube-apiserver ready in ${server.startupMs} ms`);
    apps = server.kubeConfig.makeApiClient(k8s.AppsV1Api);
    controller = await startFakeDeploymentController(server.kubeConfig, {
      namespaces: [NAMESPACE, RBAC_NAMESPACE],
      intervalMs: 50,
    });
    const core = server.kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await core.createNamespace({ body: { metadata: { name: RBAC_NAMESPACE } } });
    for (const name of Object.keys(REPLICAS))
      await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: stable(name, 'v1.0.0') });
    await apps.createNamespacedDeployment({
      namespace: RBAC_NAMESPACE,
      body: stable('api-gateway', 'v1.0.0'),
    });
    await settled(Object.keys(REPLICAS));
    await settled(['api-gateway'], RBAC_NAMESPACE);
  });

  after(async () => {
    await controller?.stop();
    await server?.stop();
    console.log(`ReplicasRouter suite took ${Date.now() - started} ms`);
  });

  void test('weight 10 on 10 pods: 9 stable beside 1 canary, the stable count recorded, weights exactly 90/10', async () => {
    const health = await target([API_GATEWAY]).deployCanary('v1.1.0', 10, ignore);
    assert.deepEqual(health, [{ service: 'api-gateway', version: 'v1.1.0', healthy: true, detail: 'ready 1/1' }]);

    const progress: string[] = [];
    const weights = await router([API_GATEWAY]).setCanaryWeight(10, (d) => progress.push(d));
    assert.deepEqual(weights, [{ service: 'api-gateway', stable: 90, canary: 10 }]);
    assert.deepEqual(progress, ['api-gateway: 1 canary beside 9 stable pods, 10% of the pods for a 10% weight']);

    const stable = await read('api-gateway');
    assert.equal(stable.spec?.replicas, 9);
    assert.equal(stable.metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION], '10');
    assert.equal((await read('api-gateway-canary')).spec?.replicas, 1);
    assert.deepEqual(await router([API_GATEWAY]).weights(), [{ service: 'api-gateway', stable: 90, canary: 10 }]);
    // The canary is still the one deployCanary made, and healthy at its new size.
    assert.deepEqual(
      (await target([API_GATEWAY]).health('canary')).map((h) => [h.version, h.healthy]),
      [['v1.1.0', true]],
    );
  });

  void test('weight 25 on 20 pods is 15/5; weight 0 restores the stable count; repeating a call changes nothing', async () => {
    const names = ['workers', 'workers-canary'];
    await target([WORKERS]).deployCanary('v1.1.0', 25, ignore);
    const r = router([WORKERS]);

    assert.deepEqual(await r.setCanaryWeight(25, ignore), [{ service: 'workers', stable: 75, canary: 25 }]);
    assert.deepEqual(await stored('workers'), [15, '20', 5]);
    assert.deepEqual(await r.weights(), [{ service: 'workers', stable: 75, canary: 25 }]);

    const at25 = await settled(names);
    assert.deepEqual(await r.setCanaryWeight(25, ignore), [{ service: 'workers', stable: 75, canary: 25 }]);
    assert.deepEqual(await current(names), at25, 'the same objects, not written again');

    const progress: string[] = [];
    assert.deepEqual(await r.setCanaryWeight(0, (d) => progress.push(d)), [
      { service: 'workers', stable: 100, canary: 0 },
    ]);
    assert.deepEqual(progress, ['workers: 20 stable pods, no canary pods']);
    assert.deepEqual(await stored('workers'), [20, undefined, 0], 'the record is removed');
    assert.deepEqual(await r.weights(), [{ service: 'workers', stable: 100, canary: 0 }]);

    const at0 = await settled(names);
    assert.deepEqual(await r.setCanaryWeight(0, ignore), [{ service: 'workers', stable: 100, canary: 0 }]);
    assert.deepEqual(await current(names), at0, 'the same objects, not written again');
    assert.deepEqual(
      at0.map((d) => d.uid),
      at25.map((d) => d.uid),
    );

    // Back from 0: the total is the stable count again, and a weight between splits takes the closer one.
    assert.deepEqual(await r.setCanaryWeight(10, ignore), [{ service: 'workers', stable: 90, canary: 10 }]);
    assert.deepEqual(await stored('workers'), [18, '20', 2]);
    await r.setCanaryWeight(0, ignore);
    assert.deepEqual(await stored('workers'), [20, undefined, 0]);
  });

  void test('a split too far from the weight is refused, by check and by setCanaryWeight, before anything changes', async () => {
    await target([ORCHESTRATOR]).deployCanary('v1.1.0', 10, ignore);
    const expected = replicaShareRefusal('orchestrator', 2, 10, MAX_SHARE_ERROR_PP);
    assert.ok(expected !== null);
    const refused = (err: unknown) => {
      const f = failure(err);
      assert.equal(f.type, 'CanaryShareRefused');
      assert.equal(f.nonRetryable, true);
      assert.equal(f.message, expected);
      return true;
    };
    // workers (20 pods, back at weight 0) could take 10%; it comes first, and must not change either.
    const names = ['workers', 'workers-canary', 'orchestrator', 'orchestrator-canary'];
    const before = await settled(names);

    await assert.rejects(router([ORCHESTRATOR]).check([10]), refused);
    await assert.rejects(router([WORKERS, ORCHESTRATOR]).check([0, 10]), refused, 'weight 0 is never refused');
    await assert.rejects(router([ORCHESTRATOR]).setCanaryWeight(10, ignore), refused);
    await assert.rejects(router([WORKERS, ORCHESTRATOR]).setCanaryWeight(10, ignore), refused);

    assert.deepEqual(await current(names), before, 'nothing was written');
    assert.equal((await read('orchestrator')).metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION], undefined);
    await router([WORKERS]).check([10, 25]); // within maxShareError: no refusal
  });

  void test('a weight for a service with no canary is refused before its stable track loses a pod; weight 0 still works', async () => {
    const before = await settled(['search']);
    await assert.rejects(router([SEARCH]).setCanaryWeight(10, ignore), (err) => {
      const f = failure(err);
      assert.equal(f.type, 'CanaryNotDeployed');
      assert.equal(f.nonRetryable, true);
      assert.equal(
        f.message,
        `no canary to give 10% of the pods to: search-canary not found in namespace ${NAMESPACE}; deploy the canary first`,
      );
      return true;
    });
    assert.deepEqual(await current(['search']), before, 'search was not scaled');
    assert.deepEqual(await router([SEARCH]).setCanaryWeight(0, ignore), [
      { service: 'search', stable: 100, canary: 0 },
    ]);
  });

  void test('a Deployment named like the canary but not made by release-promote is never changed', async () => {
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        ...stable('billing', 'v0.0.1'),
        metadata: { name: 'billing-canary', labels: { app: 'billing' } },
      },
    });
    const conflict = (err: unknown) => {
      const f = failure(err);
      assert.equal(f.type, 'CanaryConflict');
      assert.equal(f.nonRetryable, true);
      assert.equal(
        f.message,
        'deployment billing-canary in namespace agentaskit-production was not created by release-promote ' +
          '(it lacks the label release-promote.io/canary-of=billing); rename or remove it, release-promote will not change it',
      );
      assert.ok(!f.message.includes('\n'), 'one line');
      return true;
    };
    try {
      const names = ['billing', 'billing-canary'];
      const before = await settled(names);
      await assert.rejects(target([BILLING]).scaleTracks('billing', 3, 1), conflict);
      await assert.rejects(router([BILLING]).setCanaryWeight(25, ignore), conflict);
      await assert.rejects(router([BILLING]).setCanaryWeight(0, ignore), conflict);
      assert.deepEqual(await current(names), before, 'neither the stable Deployment nor the other one was written');
      assert.equal((await read('billing')).metadata?.annotations?.[STABLE_REPLICAS_ANNOTATION], undefined);
      assert.deepEqual(
        await router([BILLING]).weights(),
        [{ service: 'billing', stable: 100, canary: 0 }],
        'not counted as the canary',
      );
    } finally {
      await apps.deleteNamespacedDeployment({ name: 'billing-canary', namespace: NAMESPACE });
    }
  });

  void test('the limited user bound to the documented deployments verbs runs the whole flow', async () => {
    const limitedTarget = target([API_GATEWAY], { context: 'limited', namespace: RBAC_NAMESPACE });
    const limited = router([API_GATEWAY], { context: 'limited', namespace: RBAC_NAMESPACE });

    // Unbound, the user may not even read the Deployment.
    await assert.rejects(limited.check([10]), (err) => {
      const f = failure(err);
      assert.equal(f.type, 'Forbidden');
      assert.match(f.message, /^forbidden: user "limited" may not get deployments\.apps in namespace agentaskit-rbac/);
      return true;
    });

    // The verbs the shipped manifest grants, so the manifest cannot drift from what the router calls.
    await bindRole(server.kubeConfig, RBAC_NAMESPACE, 'release-promote', [deploymentsRule(shippedDeploymentVerbs())]);
    await untilRbacPropagates(
      () => limited.check([10]),
      (f) => f.type === 'Forbidden',
    );

    await limitedTarget.deployCanary('v1.1.0', 10, ignore);
    assert.deepEqual(await limited.setCanaryWeight(10, ignore), [{ service: 'api-gateway', stable: 90, canary: 10 }]);
    assert.deepEqual(await stored('api-gateway', RBAC_NAMESPACE), [9, '10', 1]);
    assert.deepEqual(await limited.weights(), [{ service: 'api-gateway', stable: 90, canary: 10 }]);
    assert.deepEqual(await limited.setCanaryWeight(0, ignore), [{ service: 'api-gateway', stable: 100, canary: 0 }]);
    assert.deepEqual(await stored('api-gateway', RBAC_NAMESPACE), [10, undefined, 0]);
    await limitedTarget.removeCanary(ignore);
    assert.deepEqual(
      (await apps.listNamespacedDeployment({ namespace: RBAC_NAMESPACE })).items.map((d) => d.metadata?.name),
      ['api-gateway'],
    );
  });
});
