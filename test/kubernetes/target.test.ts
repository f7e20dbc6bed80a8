// The Kubernetes deployment target against a real kube-apiserver + etcd, with the test playing the
// Deployment controller (test/helpers/fake-deployment-controller.ts): image rollouts, canaries,
// health, stuck rollouts, and the errors a release must tell apart (missing Deployment, RBAC,
// unreachable API server).
// Run: node --import tsx --test test/kubernetes/target.test.ts
// (builds the binaries on first use: scripts/k8s/ensure-kube-binaries.sh, 10-20 minutes cold)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { AppsV1Api } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { failure, REGISTRY, stableDeployment } from '../helpers/kube-fixtures';
import { startKubeApiServer, writeUnreachableKubeconfig, type KubeApiServer } from '../helpers/kube-apiserver';
import { bindRole, deploymentsRule, shippedDeploymentVerbs, untilRbacPropagates } from '../helpers/kube-rbac';
import { startFakeDeploymentController, type FakeDeploymentController } from '../helpers/fake-deployment-controller';
import { KubernetesTarget, canaryReplicas, type KubernetesTargetOptions } from '../../src/activities/kubernetes/target';
import { imageVersion, withVersion } from '../../src/activities/kubernetes/images';
import { eventually } from '../helpers/eventually';

type K8s = typeof K8sModule;

const NAMESPACE = 'agentaskit-production';
const RBAC_NAMESPACE = 'agentaskit-rbac';
const SERVICES = [{ name: 'api-gateway' }, { name: 'orchestrator' }, { name: 'workers', container: 'app' }];
const REPLICAS: Record<string, number> = { 'api-gateway': 12, orchestrator: 2, workers: 1 };

/** The container is told its service (SERVICE), so a test can see that the rest of it is kept. */
const stable = (name: string, version: string) =>
  stableDeployment(name, version, REPLICAS[name], [{ name: 'SERVICE', value: name }]);

/** The client deserializes into model classes (V1EnvVar...); compare their data. */
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown;

void describe('image tags and canary sizes', () => {
  void test('only the tag is replaced; a registry port is not a tag; a digest is dropped', () => {
    assert.equal(
      withVersion('registry.example:5000/team/api:v1.0.0', 'v1.1.0'),
      'registry.example:5000/team/api:v1.1.0',
    );
    assert.equal(withVersion('registry.example:5000/team/api', 'v1.1.0'), 'registry.example:5000/team/api:v1.1.0');
    assert.equal(withVersion('ghcr.io/team/api:v1.0.0@sha256:abc123', 'v1.1.0'), 'ghcr.io/team/api:v1.1.0');
    assert.equal(imageVersion('registry.example:5000/team/api:v1.0.0'), 'v1.0.0');
    assert.equal(imageVersion('registry.example:5000/team/api'), null);
    assert.equal(imageVersion('api@sha256:abc123'), null);
  });

  void test('a canary gets weightPercent of the stable replicas, rounded up, at least one', () => {
    assert.deepEqual(
      [
        canaryReplicas(12, 10),
        canaryReplicas(10, 10),
        canaryReplicas(3, 10),
        canaryReplicas(0, 10),
        canaryReplicas(12, 25),
      ],
      [2, 1, 1, 1, 3],
    );
  });
});

void describe('KubernetesTarget against a real kube-apiserver', () => {
  let k8s: K8s;
  let server: KubeApiServer;
  let controller: FakeDeploymentController;
  let apps: AppsV1Api;
  const started = Date.now();

  const target = (overrides: Partial<KubernetesTargetOptions> = {}) =>
    new KubernetesTarget({
      environment: 'production',
      namespace: NAMESPACE,
      services: SERVICES,
      kubeconfig: server.kubeconfigPath,
      inCluster: false,
      rolloutTimeoutMs: 20_000,
      pollIntervalMs: 200,
      ...overrides,
    });
  const read = (name: string, namespace = NAMESPACE) => apps.readNamespacedDeployment({ name, namespace });
  const imageOf = async (name: string, container = 'app') =>
    (await read(name)).spec?.template.spec?.containers.find((c) => c.name === container)?.image;
  const names = async (namespace = NAMESPACE) =>
    (await apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name).sort();

  before(async () => {
    k8s = await import('@kubernetes/client-node');
    server = await startKubeApiServer();
    console.log(`kube-apiserver ready in ${server.startupMs} ms`);
    apps = server.kubeConfig.makeApiClient(k8s.AppsV1Api);
    controller = await startFakeDeploymentController(server.kubeConfig, {
      namespaces: [NAMESPACE, RBAC_NAMESPACE],
      // A short in-progress phase, so the target sees (and reports) a rollout that is not done yet.
      rolloutDelayMs: 300,
      stuck: (_name, image) => image.endsWith('-stuck'),
      unready: (_name, image) => image.endsWith('-unready'),
    });
    const core = server.kubeConfig.makeApiClient(k8s.CoreV1Api);
    for (const namespace of [NAMESPACE, RBAC_NAMESPACE]) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      for (const { name } of SERVICES)
        await apps.createNamespacedDeployment({ namespace, body: stable(name, 'v1.0.0') });
    }
    // Wait until the controller has rolled out the initial versions.
    await eventually(
      'the initial Deployments to be healthy',
      async () => (await target().health('stable')).every((h) => h.healthy),
      {
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
  });

  after(async () => {
    await controller?.stop();
    await server?.stop();
    console.log(`KubernetesTarget suite took ${Date.now() - started} ms`);
  });

  void test('deploy patches each image tag, waits for the rollout and returns the health', async () => {
    const progress: string[] = [];
    const before = await read('api-gateway');
    const health = await target().deploy('v1.1.0', (d) => progress.push(d));

    assert.deepEqual(health, [
      { service: 'api-gateway', version: 'v1.1.0', healthy: true, detail: 'ready 12/12' },
      { service: 'orchestrator', version: 'v1.1.0', healthy: true, detail: 'ready 2/2' },
      { service: 'workers', version: 'v1.1.0', healthy: true, detail: 'ready 1/1' },
    ]);
    assert.equal(
      await imageOf('api-gateway'),
      `${REGISTRY}/api-gateway:v1.1.0`,
      'only the tag changes; the registry port stays',
    );
    assert.equal(await imageOf('workers'), `${REGISTRY}/workers:v1.1.0`, 'the configured container');
    assert.equal(
      await imageOf('workers', 'log-shipper'),
      'registry.example:5000/infra/log-shipper:3.1',
      'the sidecar is untouched',
    );
    const after = await read('api-gateway');
    assert.equal(after.metadata?.generation, (before.metadata?.generation ?? 0) + 1);
    assert.deepEqual(
      plain(after.spec?.template.spec?.containers[0]?.env),
      [{ name: 'SERVICE', value: 'api-gateway' }],
      'the rest of the container is kept',
    );
    assert.equal(after.metadata?.annotations?.['release-promote.io/version'], 'v1.1.0');
    // It reported the rollout in progress (heartbeats) before its end, in service order.
    assert.ok(
      progress.some((p) => /^api-gateway: (waiting for the controller|updated 0\/12)/.test(p)),
      progress.join('\n'),
    );
    const done = progress.filter((p) => p.includes('rolled out'));
    assert.deepEqual(
      done.map((p) => p.split(' ')[0]),
      ['api-gateway', 'orchestrator', 'workers'],
    );
  });

  void test('re-deploying the running version changes nothing', async () => {
    const before = await Promise.all(SERVICES.map(({ name }) => read(name)));
    const progress: string[] = [];
    const health = await target().deploy('v1.1.0', (d) => progress.push(d));
    assert.ok(health.every((h) => h.healthy && h.version === 'v1.1.0'));
    const after = await Promise.all(SERVICES.map(({ name }) => read(name)));
    assert.deepEqual(
      after.map((d) => [d.metadata?.generation, d.metadata?.resourceVersion]),
      before.map((d) => [d.metadata?.generation, d.metadata?.resourceVersion]),
      'no write at all',
    );
    assert.ok(progress.some((p) => p.startsWith('api-gateway already runs')));
  });

  void test('deployCanary creates <name>-canary beside the stable track with a share of its replicas', async () => {
    const health = await target().deployCanary('v1.2.0', 10, () => undefined);
    assert.deepEqual(health, [
      { service: 'api-gateway', version: 'v1.2.0', healthy: true, detail: 'ready 2/2' },
      { service: 'orchestrator', version: 'v1.2.0', healthy: true, detail: 'ready 1/1' },
      { service: 'workers', version: 'v1.2.0', healthy: true, detail: 'ready 1/1' },
    ]);

    const canary = await read('api-gateway-canary');
    assert.equal(canary.spec?.replicas, 2, 'ceil(10% of 12)');
    assert.equal((await read('orchestrator-canary')).spec?.replicas, 1, 'at least one replica');
    assert.deepEqual(
      canary.spec?.selector.matchLabels,
      { app: 'api-gateway', track: 'canary' },
      'does not overlap the stable selector (track=stable)',
    );
    assert.deepEqual(
      canary.spec?.template.metadata?.labels,
      { app: 'api-gateway', track: 'canary' },
      'pods keep the Service selector labels',
    );
    assert.equal(canary.metadata?.labels?.['release-promote.io/canary-of'], 'api-gateway');
    assert.equal(canary.metadata?.labels?.team, 'platform', 'the stable labels are copied');
    assert.equal(canary.spec?.template.spec?.containers[0]?.image, `${REGISTRY}/api-gateway:v1.2.0`);
    assert.deepEqual(plain(canary.spec?.template.spec?.containers[0]?.env), [
      { name: 'SERVICE', value: 'api-gateway' },
    ]);
    const workers = (await read('workers-canary')).spec?.template.spec?.containers.map((c) => c.image);
    assert.deepEqual(workers, ['registry.example:5000/infra/log-shipper:3.1', `${REGISTRY}/workers:v1.2.0`]);

    // The stable track is untouched and still reports its own version.
    assert.deepEqual(
      (await target().health('stable')).map((h) => [h.service, h.version, h.healthy]),
      [
        ['api-gateway', 'v1.1.0', true],
        ['orchestrator', 'v1.1.0', true],
        ['workers', 'v1.1.0', true],
      ],
    );
  });

  void test('deployCanary is idempotent, and updates an existing canary in place', async () => {
    const before = await read('api-gateway-canary');
    await target().deployCanary('v1.2.0', 10, () => undefined);
    const same = await read('api-gateway-canary');
    assert.equal(
      same.metadata?.resourceVersion,
      before.metadata?.resourceVersion,
      'an unchanged canary is not rewritten',
    );

    await target().deployCanary('v1.2.0', 25, () => undefined);
    const bigger = await read('api-gateway-canary');
    assert.equal(bigger.spec?.replicas, 3, 'ceil(25% of 12)');
    assert.equal(bigger.metadata?.uid, before.metadata?.uid, 'updated, not recreated');
  });

  void test('removeCanary deletes the canaries and is a no-op when they are gone', async () => {
    const progress: string[] = [];
    await target().removeCanary((d) => progress.push(d));
    assert.deepEqual(await names(), ['api-gateway', 'orchestrator', 'workers']);
    assert.deepEqual(await target().health('canary'), [], 'no canary, no entries');
    await target().removeCanary((d) => progress.push(d));
    assert.deepEqual(progress.slice(-3), [
      'api-gateway-canary already gone',
      'orchestrator-canary already gone',
      'workers-canary already gone',
    ]);
  });

  void test('a Deployment named like a canary but not made by release-promote is left alone', async () => {
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: { ...stable('orchestrator', 'v0.0.1'), metadata: { name: 'orchestrator-canary' } },
    });
    try {
      await assert.rejects(
        target().removeCanary(() => undefined),
        (err) => {
          const f = failure(err);
          assert.equal(f.type, 'CanaryConflict');
          assert.equal(f.nonRetryable, true);
          assert.match(
            f.message,
            /orchestrator-canary in namespace agentaskit-production was not created by release-promote/,
          );
          return true;
        },
      );
      assert.ok((await names()).includes('orchestrator-canary'));
      assert.deepEqual(
        (await target().health('canary')).map((h) => h.service),
        [],
        'not reported as our canary',
      );
    } finally {
      await apps.deleteNamespacedDeployment({ name: 'orchestrator-canary', namespace: NAMESPACE });
    }
  });

  void test('a stuck rollout fails with RolloutStuck, stops before the next service, and a rollback recovers', async () => {
    await assert.rejects(
      target().deploy('v2.0.0-stuck', () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'RolloutStuck');
        assert.equal(f.nonRetryable, true);
        assert.match(
          f.message,
          /rollout of deployment api-gateway to v2\.0\.0-stuck in namespace agentaskit-production \(production\) is stuck: progress deadline exceeded/,
        );
        return true;
      },
    );
    assert.equal(await imageOf('orchestrator'), `${REGISTRY}/orchestrator:v1.1.0`, 'the next service was not touched');
    const stuck = (await target().health('stable'))[0]!;
    assert.equal(stuck.healthy, false);
    assert.equal(stuck.version, 'v2.0.0-stuck');
    assert.match(stuck.detail, /rollout stuck/);

    // Rollback: deploy the previous version.
    const health = await target().deploy('v1.1.0', () => undefined);
    assert.ok(
      health.every((h) => h.healthy && h.version === 'v1.1.0'),
      JSON.stringify(health),
    );
    assert.equal(await imageOf('api-gateway'), `${REGISTRY}/api-gateway:v1.1.0`);
  });

  void test('a rollout that never completes fails with RolloutStuck after the rollout timeout', async () => {
    const begun = Date.now();
    await assert.rejects(
      target({ rolloutTimeoutMs: 1_500 }).deploy('v2.0.0-unready', () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'RolloutStuck');
        assert.match(f.message, /did not complete within the rollout timeout of 2s: .*available 0\/12/);
        return true;
      },
    );
    assert.ok(Date.now() - begun >= 1_500);
    const unready = (await target().health('stable'))[0]!;
    assert.deepEqual([unready.healthy, unready.detail], [false, 'ready 0/12']);
    await target().deploy('v1.1.0', () => undefined);
  });

  void test('health and verification: an unready Deployment is unhealthy, a missing one is reported', async () => {
    await apps.patchNamespacedDeployment(
      { name: 'orchestrator', namespace: NAMESPACE, body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // Read before the controller reacts: a new generation not yet rolled out.
    const during = (await target().health('stable'))[1]!;
    assert.equal(during.healthy, false);
    assert.match(during.detail, /rollout in progress/);

    const withMissing = target({ services: [...SERVICES, { name: 'billing' }] });
    const health = await eventually(
      'the orchestrator to be healthy again',
      async () => {
        const h = await withMissing.health('stable');
        return h[1]!.healthy ? h : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    assert.deepEqual(health[1], { service: 'orchestrator', version: 'v1.1.0', healthy: true, detail: 'ready 3/3' });
    assert.deepEqual(health[3], {
      service: 'billing',
      version: null,
      healthy: false,
      detail: 'deployment billing not found in namespace agentaskit-production',
    });
  });

  void test('a missing Deployment fails the deploy with DeploymentNotFound', async () => {
    await assert.rejects(
      target({ services: [{ name: 'billing' }] }).deploy('v1.1.0', () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'DeploymentNotFound');
        assert.equal(f.nonRetryable, true);
        assert.equal(f.message, 'deployment billing not found in namespace agentaskit-production');
        return true;
      },
    );
    await assert.rejects(
      target({ namespace: 'agentaskit-nowhere' }).deployCanary('v1.1.0', 10, () => undefined),
      (err) => {
        assert.equal(failure(err).message, 'deployment api-gateway not found in namespace agentaskit-nowhere');
        return true;
      },
    );
  });

  void test('without RBAC, the error names the verb, the resource, the namespace and the user', async () => {
    const limited = target({ context: 'limited' });
    await assert.rejects(
      limited.deploy('v1.1.0', () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'Forbidden');
        assert.equal(f.nonRetryable, true);
        assert.match(
          f.message,
          /^forbidden: user "limited" may not get deployments\.apps in namespace agentaskit-production \(kubeconfig context "limited"/,
        );
        assert.match(f.message, /allowing get, patch .* create, update, delete/);
        return true;
      },
    );
    await assert.rejects(target({ context: 'no-such-context' }).health('stable'), (err) => {
      const f = failure(err);
      assert.equal(f.type, 'ConfigError');
      assert.match(f.message, /has no context "no-such-context".*it has: admin, limited/);
      return true;
    });
  });

  void test('with a read-only Role the patch is refused; with the documented verbs the whole flow works', async () => {
    const bind = (name: string, verbs: string[]) =>
      bindRole(server.kubeConfig, RBAC_NAMESPACE, name, [deploymentsRule(verbs)]);
    const limited = target({ context: 'limited', namespace: RBAC_NAMESPACE });

    await bind('release-promote-read', ['get']);
    await assert.rejects(
      untilRbacPropagates(
        () => limited.deploy('v1.1.0', () => undefined),
        (f) => / may not get /.test(f.message),
      ),
      (err) => {
        const f = failure(err);
        assert.equal(f.type, 'Forbidden');
        assert.match(
          f.message,
          /^forbidden: user "limited" may not patch deployments\.apps in namespace agentaskit-rbac/,
        );
        return true;
      },
    );

    // The verbs the shipped manifest grants, so the manifest cannot drift from what the target calls.
    await bind('release-promote', shippedDeploymentVerbs());
    const health = await untilRbacPropagates(
      () => limited.deploy('v1.1.0', () => undefined),
      (f) => / may not patch /.test(f.message),
    );
    assert.ok(health.every((h) => h.healthy && h.version === 'v1.1.0'));
    await limited.deployCanary('v1.2.0', 10, () => undefined);
    await limited.deployCanary('v1.2.0', 50, () => undefined); // update
    assert.deepEqual(
      (await limited.health('canary')).map((h) => h.version),
      ['v1.2.0', 'v1.2.0', 'v1.2.0'],
    );
    await limited.removeCanary(() => undefined);
    assert.deepEqual(await names(RBAC_NAMESPACE), ['api-gateway', 'orchestrator', 'workers']);
  });

  void test('an unreachable API server is a retryable error naming the server', async () => {
    const { kubeconfig, url } = await writeUnreachableKubeconfig(server);
    await assert.rejects(
      target({ kubeconfig }).deploy('v1.1.0', () => undefined),
      (err) => {
        const f = failure(err);
        assert.equal(f.nonRetryable, false, 'Temporal retries it');
        assert.equal(f.type, 'KubernetesUnreachable');
        assert.ok(
          f.message.startsWith(
            `cannot reach the Kubernetes API server at ${url} to get deployment api-gateway in namespace agentaskit-production: `,
          ),
          f.message,
        );
        assert.match(f.message, /ECONNREFUSED/);
        return true;
      },
    );
  });

  void test('the fake controller saw no errors', () => {
    assert.deepEqual(
      controller.errors.map((e) => e.message),
      [],
    );
  });
});
