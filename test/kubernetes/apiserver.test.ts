// The Kubernetes test harness against a real kube-apiserver + etcd: CRUD, the fake Deployment
// controller's rollout statuses, and RBAC for the limited user.
// Run: node --import tsx --test test/kubernetes/apiserver.test.ts
// (builds the binaries on first use: scripts/k8s/ensure-kube-binaries.sh, 10-20 minutes cold)
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { AppsV1Api, V1Deployment } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver';
import { startFakeDeploymentController, type FakeDeploymentController } from '../helpers/fake-deployment-controller';
import { eventually } from '../helpers/eventually';

type K8s = typeof K8sModule;

const NAMESPACE = 'rp-apiserver-test';

async function waitForDeployment(
  apps: AppsV1Api,
  name: string,
  what: string,
  predicate: (d: V1Deployment) => boolean,
): Promise<V1Deployment> {
  let last: V1Deployment | undefined;
  return eventually(
    `deployment ${name}: ${what}`,
    async () => {
      last = await apps.readNamespacedDeployment({ name, namespace: NAMESPACE });
      return predicate(last) ? last : undefined;
    },
    { timeoutMs: 15_000, describe: () => `last status: ${JSON.stringify(last?.status)}` },
  );
}

function conditionOf(d: V1Deployment, type: string) {
  return d.status?.conditions?.find((c) => c.type === type);
}

void describe('test kube-apiserver + fake deployment controller', () => {
  let k8s: K8s;
  let server: KubeApiServer;
  let controller: FakeDeploymentController;
  let apps: AppsV1Api;
  let strategicMerge: ReturnType<K8s['setHeaderOptions']>;

  before(async () => {
    k8s = await import('@kubernetes/client-node');
    server = await startKubeApiServer();
    console.log(`kube-apiserver ready at ${server.server} in ${server.startupMs} ms (dir ${server.dir})`);
    apps = server.kubeConfig.makeApiClient(k8s.AppsV1Api);
    strategicMerge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
    controller = await startFakeDeploymentController(server.kubeConfig, {
      namespaces: [NAMESPACE],
      stuck: (_name, image) => image.endsWith(':stuck'),
      unready: (_name, image) => image.endsWith(':unready'),
    });
  });

  after(async () => {
    await controller?.stop();
    const dir = server?.dir;
    await server?.stop();
    if (dir) assert.equal(existsSync(dir), false, 'stop() removes the temporary directory');
  });

  void test('serves the pinned version and writes a usable kubeconfig', async () => {
    const version = await server.kubeConfig.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.35.4');
    const kubeconfig = JSON.parse(readFileSync(server.kubeconfigPath, 'utf8')) as { 'current-context': string };
    assert.equal(kubeconfig['current-context'], 'admin');
    const fromFile = new k8s.KubeConfig();
    fromFile.loadFromFile(server.kubeconfigPath);
    assert.equal(fromFile.getCurrentCluster()?.server, server.server);
  });

  void test('creates a namespace and a Deployment, and rolls out an image change', async () => {
    const core = server.kubeConfig.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });

    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'web', labels },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'registry.example/web:1.0.0' }] },
          },
        },
      },
    });
    let d = await waitForDeployment(apps, 'web', 'generation 1 rolled out', (x) => x.status?.observedGeneration === 1);
    assert.equal(d.status?.availableReplicas, 3);

    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NAMESPACE,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/web:1.1.0' }] } } } },
      },
      strategicMerge,
    );
    d = await waitForDeployment(apps, 'web', 'generation 2 observed', (x) => x.status?.observedGeneration === 2);
    assert.equal(d.metadata?.generation, 2);
    assert.equal(d.spec?.template.spec?.containers[0]?.image, 'registry.example/web:1.1.0');
    assert.deepEqual(
      {
        replicas: d.status?.replicas,
        updated: d.status?.updatedReplicas,
        ready: d.status?.readyReplicas,
        available: d.status?.availableReplicas,
      },
      { replicas: 3, updated: 3, ready: 3, available: 3 },
    );
    assert.equal(conditionOf(d, 'Progressing')?.status, 'True');
    assert.equal(conditionOf(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(conditionOf(d, 'Available')?.status, 'True');
    assert.deepEqual(
      controller.reconciled.filter((r) => r.name === 'web').map((r) => [r.generation, r.outcome]),
      [
        [1, 'rolledOut'],
        [2, 'rolledOut'],
      ],
    );
  });

  void test('reports a stuck rollout and a rollout whose pods never become ready', async () => {
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NAMESPACE,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/web:stuck' }] } } } },
      },
      strategicMerge,
    );
    let d = await waitForDeployment(apps, 'web', 'generation 3 observed', (x) => x.status?.observedGeneration === 3);
    assert.equal(conditionOf(d, 'Progressing')?.status, 'False');
    assert.equal(conditionOf(d, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
    assert.ok((d.status?.updatedReplicas ?? 0) < (d.status?.replicas ?? 0));

    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NAMESPACE,
        body: {
          spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/web:unready' }] } } },
        },
      },
      strategicMerge,
    );
    d = await waitForDeployment(apps, 'web', 'generation 4 observed', (x) => x.status?.observedGeneration === 4);
    assert.equal(conditionOf(d, 'Available')?.status, 'False');
    assert.equal(d.status?.readyReplicas ?? 0, 0, 'zero counts are omitted (omitempty), so readyReplicas is absent');
    assert.equal(controller.errors.length, 0, controller.errors.map((e) => e.message).join('\n'));
  });

  void test('with rolloutDelayMs, reports an in-progress rollout before the outcome', async () => {
    const namespace = `${NAMESPACE}-slow`;
    await server.kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const slow = await startFakeDeploymentController(server.kubeConfig, {
      namespaces: [namespace],
      rolloutDelayMs: 1_000,
    });
    try {
      const labels = { app: 'api' };
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: 'api' },
          spec: {
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'app', image: 'registry.example/api:2.0.0' }] },
            },
          },
        },
      });
      const started = Date.now();
      const read = () => apps.readNamespacedDeployment({ name: 'api', namespace });
      let d = await read();
      while (d.status?.observedGeneration !== 1) d = await new Promise((r) => setTimeout(r, 50)).then(read);
      assert.equal(conditionOf(d, 'Progressing')?.reason, 'ReplicaSetUpdated');
      assert.equal(d.status?.updatedReplicas ?? 0, 0);
      while (conditionOf(d, 'Progressing')?.reason !== 'NewReplicaSetAvailable')
        d = await new Promise((r) => setTimeout(r, 50)).then(read);
      assert.ok(Date.now() - started >= 900, 'the outcome comes after the delay');
      assert.equal(d.status?.updatedReplicas, 1, 'spec.replicas defaults to 1');
      assert.deepEqual(
        slow.reconciled.map((r) => r.outcome),
        ['progressing', 'rolledOut'],
      );
    } finally {
      await slow.stop();
    }
  });

  void test('the limited user is authenticated but forbidden from listing deployments', async () => {
    const limitedApps = server.kubeConfigFor('limited').makeApiClient(k8s.AppsV1Api);
    await assert.rejects(limitedApps.listNamespacedDeployment({ namespace: NAMESPACE }), (err: unknown) => {
      assert.ok(err instanceof k8s.ApiException, `expected an ApiException, got ${String(err)}`);
      assert.equal(err.code, 403);
      return true;
    });
    const review = await server
      .kubeConfigFor('limited')
      .makeApiClient(k8s.AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, 'limited');
  });
});
