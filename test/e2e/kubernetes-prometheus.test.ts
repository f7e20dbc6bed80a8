// One release promoted end to end on real infrastructure: the Temporal dev server, the release
// workflow and its activities, the Kubernetes target against a real kube-apiserver (staging and
// production namespaces, three services each; the test plays the Deployment controller), the canary's
// share of requests set by Gateway API HTTPRoute weights (the Gateway API CRDs installed; the test
// plays the Gateway controller), and the canary judged per service on metrics from a real
// Prometheus holding a recorded history. Gates and
// notifications are the simulated/recording ones; policy durations are shortened through the config.
// Run: node --import tsx --test test/e2e/kubernetes-prometheus.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { AppsV1Api } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { parseConfig } from '../../src/config/load';
import { createActivities, type ActivityDeps } from '../../src/activities';
import type { Notification } from '../../src/shared/notifications';
import { PrometheusMetrics } from '../../src/activities/metrics/prometheus';
import { activityDeps } from '../../src/activities/deps';
import { startRelease } from '../../src/client/start-release';
import { approveUpdate, statusQuery } from '../../src/shared/messages';
import type { ReleaseResult, ReleaseStatus } from '../../src/shared/release';
import { createDevEnv } from '../helpers/temporal-env';
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver';
import { startFakeDeploymentController, type FakeDeploymentController } from '../helpers/fake-deployment-controller';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import {
  installGatewayApiCrds,
  startFakeGatewayController,
  type FakeGatewayController,
} from '../helpers/fake-gateway-controller';

type K8s = typeof K8sModule;

const NAMESPACES = { staging: 'agentaskit-staging', production: 'agentaskit-production' } as const;
const SERVICES = ['api-gateway', 'orchestrator', 'workers'];
const REPLICAS: Record<string, number> = { 'api-gateway': 10, orchestrator: 2, workers: 3 };
const IMAGE = (service: string, version: string) => `registry.example/agentaskit/${service}:${version}`;
/** The recorded Prometheus history labels each scenario as an environment; production reads a healthy fleet. */
const METRICS_ENVIRONMENT = 'fleet-healthy';
/** Someone else's HTTPRoute per service, sending all of its requests to the Service named after it. */
const httpRoute = (service: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: service, labels: { team: 'platform' } },
  spec: {
    parentRefs: [{ name: 'public', namespace: 'gateway-system' }],
    hostnames: [`${service}.agentaskit.example`],
    rules: [{ backendRefs: [{ name: service, port: 80 }] }],
  },
});

void describe('a release promoted on Kubernetes with Prometheus canary analysis', () => {
  let k8s: K8s;
  let kube: KubeApiServer;
  let controller: FakeDeploymentController;
  let gateway: FakeGatewayController;
  let prometheus: RunningPrometheus;
  let env: TestWorkflowEnvironment;
  let apps: AppsV1Api;
  let dir: string;
  const timings: string[] = [];
  const t0 = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-promote-e2e-'));
    [kube, prometheus, env] = await Promise.all([startKubeApiServer(), startPrometheus(), createDevEnv()]);
    timings.push(`servers up after ${Date.now() - t0} ms (kube-apiserver ${kube.startupMs} ms)`);
    k8s = await import('@kubernetes/client-node');
    apps = kube.kubeConfig.makeApiClient(k8s.AppsV1Api);
    controller = await startFakeDeploymentController(kube.kubeConfig, {
      namespaces: Object.values(NAMESPACES),
      rolloutDelayMs: 200,
    });
    const core = kube.kubeConfig.makeApiClient(k8s.CoreV1Api);
    await installGatewayApiCrds(kube.kubeConfig);
    gateway = await startFakeGatewayController(kube.kubeConfig, { namespaces: [NAMESPACES.production] });
    const custom = kube.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    for (const namespace of Object.values(NAMESPACES)) {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      for (const service of SERVICES) {
        await core.createNamespacedService({
          namespace,
          body: {
            metadata: { name: service },
            spec: { selector: { app: service }, ports: [{ port: 80, targetPort: 8080 }] },
          },
        });
        if (namespace === NAMESPACES.production)
          await custom.createNamespacedCustomObject({
            group: 'gateway.networking.k8s.io',
            version: 'v1',
            namespace,
            plural: 'httproutes',
            body: httpRoute(service),
          });
        const labels = { app: service, track: 'stable' };
        await apps.createNamespacedDeployment({
          namespace,
          body: {
            metadata: { name: service, labels: { app: service } },
            spec: {
              replicas: REPLICAS[service],
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: { containers: [{ name: service, image: IMAGE(service, 'v1.0.0') }] },
              },
            },
          },
        });
      }
    }
  });

  after(async () => {
    await controller?.stop();
    await gateway?.stop();
    await Promise.allSettled([kube?.stop(), prometheus?.stop(), env?.teardown()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(timings.join('\n'));
  });

  /** Runs one release through the worker, approving it, and watches the production canaries while it runs. */
  async function release(version: string, metricsEnvironment: string) {
    const taskQueue = `release-promote-e2e-kubernetes-${version}`;
    const target = (namespace: string) => ({
      type: 'kubernetes',
      kubeconfig: kube.kubeconfigPath,
      namespace,
      rolloutTimeout: '30s',
    });
    const config = parseConfig(
      {
        temporal: { taskQueue },
        roles: { RELEASE_APPROVER: ['@alice'] },
        stages: {
          staging: { soak: '3s', healthCheckInterval: '1s', maxTotalSoak: '1m' },
          approval: { reminderInterval: '1m' },
          canary: { minDuration: '3s', analysisInterval: '1s', pauseReminderInterval: '1m' },
        },
        environments: {
          staging: { target: target(NAMESPACES.staging), services: SERVICES.map((name) => ({ name })) },
          production: { target: target(NAMESPACES.production), services: SERVICES.map((name) => ({ name })) },
        },
        metrics: { provider: 'prometheus', baseUrl: prometheus.baseUrl },
        simulation: { scenario: 'healthy', stateDir: join(dir, 'simulated') },
        records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
      },
      'e2e config',
    );
    assert.equal(config.metrics.provider, 'prometheus');
    const metricsConfig = config.metrics;

    const notifications: Notification[] = [];
    const base = activityDeps(config, env.client, {
      notifier: {
        send: (n) => {
          notifications.push(n);
          return Promise.resolve({ threadTs: n.threadTs ?? 'thread-1' });
        },
      },
    });
    // The worker's own deps, except that Prometheus is read at the recorded history's instant.
    const deps: ActivityDeps = {
      ...base,
      metrics: () =>
        new PrometheusMetrics(metricsConfig, {
          environment: metricsEnvironment,
          evaluationTime: () => prometheus.evaluationTime,
        }),
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
      activities: createActivities(deps),
    });
    timings.push(`worker created (workflow bundle) after ${Date.now() - t0} ms`);

    const canaryObserved = new Map<string, { replicas: number | undefined; image: string | undefined }>();
    let approvedAt: string | null = null;
    const started = Date.now();
    const { result, status } = await worker.runUntil(
      async (): Promise<{ result: ReleaseResult; status: ReleaseStatus }> => {
        const { handle } = await startRelease(env.client, config, {
          version,
          commitSha: 'abc1234def5678',
          requestedBy: '@dev',
          ciRunId: `e2e-${version}`,
        });
        const deadline = Date.now() + 120_000;
        for (;;) {
          const s: ReleaseStatus = await handle.query(statusQuery);
          if (s.stage === 'AWAITING_APPROVAL' && approvedAt === null) {
            const ack = await handle.executeUpdate(approveUpdate, { args: [{ approver: '@alice', channel: 'cli' }] });
            approvedAt = s.stage;
            assert.match(ack.message, /^approved/);
          }
          if (s.stage === 'CANARY') {
            // The stage begins before the canaries are created; keep looking while it lasts.
            const canaries = (await apps.listNamespacedDeployment({ namespace: NAMESPACES.production })).items.filter(
              (d) => d.metadata?.name?.endsWith('-canary'),
            );
            for (const d of canaries)
              canaryObserved.set(d.metadata?.name ?? '', {
                replicas: d.spec?.replicas,
                image: d.spec?.template.spec?.containers[0]?.image,
              });
          }
          if (s.outcome !== null) break;
          assert.ok(Date.now() < deadline, `the release stayed in ${s.stage} (${s.waitingFor ?? ''})`);
          await new Promise((r) => setTimeout(r, 200));
        }
        // Queried while the worker still runs: a closed workflow's query is answered by replaying it.
        const result = await handle.result();
        return { result, status: await handle.query(statusQuery) };
      },
    );
    timings.push(`release ${result.outcome} in ${Date.now() - started} ms (soak 3s, canary 3s)`);
    return { result, status, canaryObserved, approvedAt, notifications };
  }

  void test('v1.1.0 goes Dev → Staging → a canary with exactly 90/10 route weights → Production and is PROMOTED', async () => {
    const { result, status, canaryObserved, approvedAt, notifications } = await release('v1.1.0', METRICS_ENVIRONMENT);

    assert.equal(result.outcome, 'PROMOTED', result.reason);
    assert.equal(approvedAt, 'AWAITING_APPROVAL');

    // Both environments run the new version; production has no canary left.
    for (const namespace of Object.values(NAMESPACES)) {
      const deployments = (await apps.listNamespacedDeployment({ namespace })).items;
      assert.deepEqual(
        deployments.map((d) => d.metadata?.name).sort(),
        SERVICES,
        `only the stable Deployments remain in ${namespace}`,
      );
      for (const d of deployments) {
        assert.equal(
          d.spec?.template.spec?.containers[0]?.image,
          IMAGE(d.metadata?.name ?? '', 'v1.1.0'),
          `${namespace}/${d.metadata?.name}`,
        );
        assert.equal(d.status?.availableReplicas, REPLICAS[d.metadata?.name ?? '']);
      }
    }

    // Every route sent exactly 10% of its service's requests to the canary, then none before the
    // canary's pods went, and it was accepted by the Gateway at each change.
    for (const service of SERVICES) {
      const states = gateway
        .history(NAMESPACES.production, service)
        .map((r) => r.rules[0]!.map((b) => `${b.name}=${b.weight}`).join(' '));
      assert.deepEqual(
        states,
        [`${service}=1`, `${service}-stable=90 ${service}-canary=10`, `${service}-stable=100 ${service}-canary=0`],
        `${service}'s route`,
      );
    }
    assert.ok(gateway.writes.every((w) => w.accepted && w.resolvedRefs));
    const routedAt = Math.min(...gateway.observed.filter((r) => r.rules[0]!.length === 2).map((r) => r.at.getTime()));
    timings.push(`canary routes at 90/10 from ${new Date(routedAt).toISOString()}`);
    assert.deepEqual(
      status.canary.weights,
      SERVICES.map((service) => ({ service, stable: 100, canary: 0 })),
      'the last split the router reported: the canary gets nothing before it is removed',
    );

    // The canary's pods are a capacity (10% of the stable replicas, rounded up), not its share.
    assert.deepEqual(Object.fromEntries(canaryObserved), {
      'api-gateway-canary': { replicas: 1, image: IMAGE('api-gateway', 'v1.1.0') },
      'orchestrator-canary': { replicas: 1, image: IMAGE('orchestrator', 'v1.1.0') },
      'workers-canary': { replicas: 1, image: IMAGE('workers', 'v1.1.0') },
    });

    // The canary was judged on the Prometheus measurements, and every service's canary was healthy.
    assert.equal(status.previousProductionVersion, 'v1.0.0', 'read from the running production Deployments');
    assert.ok(status.soak.checks >= 1, 'staging health was checked on the Kubernetes target');
    const last = status.canary.evaluations.at(-1);
    assert.ok(last, 'at least one canary evaluation');
    assert.equal(last.verdict, 'pass', last.reason);
    assert.equal(last.weightPct, 10);
    // Each service judged on its own, and each canary's share of requests measured in the recorded history.
    assert.deepEqual(
      last.services?.map((e) => [e.service, e.verdict]),
      SERVICES.map((service) => [service, 'pass']),
    );
    for (const e of last.services ?? [])
      assert.ok(Math.abs(e.observedSharePct! - 10) < 0.5, `${e.service}: ${e.observedSharePct}% of requests`);
    assert.deepEqual(
      last.health.map((h) => [h.service, h.version, h.healthy]),
      SERVICES.map((s) => [s, 'v1.1.0', true]),
      'canary health read from the -canary Deployments',
    );
    assert.ok(notifications.some((n) => n.kind === 'release-finished'));
    assert.deepEqual(
      controller.errors.map((e) => e.message),
      [],
    );
  });

  void test('v1.2.0 regresses in one service: the routes give the canary 0% first, then its pods go; the time is measured', async () => {
    const { result, status } = await release('v1.2.0', 'one-service-regression');
    assert.equal(result.outcome, 'ROLLED_BACK', result.reason);
    assert.match(result.reason, /^workers: error rate 2\.\d+% vs baseline 0\.0\d+%: \+2\.\d+ pp ≥ 1 pp/);
    assert.deepEqual(
      status.rollback?.steps.map((st) => [st.step, st.ok]),
      [
        ['send no requests to the canary', true],
        ['remove the canary', true],
        ['confirm the stable version still serves', true],
      ],
    );
    // From the evaluation that decided to the Gateway controller seeing weight 0 on every route.
    const decidedAt = Date.parse(status.canary.evaluations.at(-1)!.at);
    const zeroAt = SERVICES.map((service) => {
      const zero = gateway
        .history(NAMESPACES.production, service)
        .filter(
          (r) => r.at.getTime() >= decidedAt && r.rules[0]!.some((b) => b.name.endsWith('-canary') && b.weight === 0),
        );
      assert.ok(zero.length > 0, `${service}'s route went to canary weight 0 after the decision`);
      return zero[0]!.at.getTime();
    });
    const canaryGoneAt = Date.parse(status.rollback.steps[1]!.at);
    const toZero = Math.max(...zeroAt) - decidedAt;
    timings.push(
      `rollback decision → canary weight 0 on all ${SERVICES.length} routes: ${toZero} ms; → canary Deployments deleted: ${canaryGoneAt - decidedAt} ms`,
    );
    assert.ok(Math.max(...zeroAt) <= canaryGoneAt, 'the weight went to 0 before the canary Deployments were deleted');
    for (const namespace of Object.values(NAMESPACES))
      assert.deepEqual(
        (await apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name).sort(),
        SERVICES,
      );
  });
});
