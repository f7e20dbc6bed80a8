// The one place the activities are wired from the config: which deployment target, metrics source,
// gate provider and notifier each environment uses, the records store and the installation's
// policy. The worker builds its activities from this; the integrations are constructed only when an
// environment or section uses them.
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config, EnvironmentConfig } from '../config/schema';
import { ConfigError, releasePolicy } from '../config/load';
import { installedPolicy } from '../config/policy-digest';
import type { ActivityDeps } from './index';
import type { DeploymentTarget, GateProvider, MetricsSource, Notifier, TrafficRouter } from './ports';
import { routerOf, type RouterConfig } from '../config/integrations-schema';
import { SimulatedRouter } from './simulated/router';
import { GatewayApiRouter } from './kubernetes/gateway-router';
import { ReplicasRouter } from './kubernetes/replicas-router';
import { loadScenario } from './simulated/scenarios';
import { SimulatedTarget } from './simulated/target';
import { SimulatedMetrics } from './simulated/metrics';
import { SimulatedGates } from './simulated/gates';
import { ConsoleNotifier } from './notify/console';
import { PrometheusMetrics, type PrometheusConfig } from './metrics/prometheus';
import { GitHubGates, type GitHubGatesConfig } from './gates/github';
import { SlackNotifier } from './notify/slack';
import { KubernetesTarget } from './kubernetes/target';
import { openRecordsStore } from '../records/open-store';
import type { RecordsStore } from '../records/store';

export function activityDeps(
  config: Config,
  client: Client,
  options: { notifier?: Notifier; records?: RecordsStore } = {},
): ActivityDeps {
  const scenario = loadScenario(config.simulation.scenario);
  const stateDir = resolve(config.simulation.stateDir);
  const real = realIntegrations;
  const environment = (name: string) => {
    const env = config.environments[name];
    if (!env)
      throw new Error(
        `environment "${name}" is not defined in the config (defined: ${Object.keys(config.environments).join(', ')})`,
      );
    return env;
  };
  const services = (name: string) => environment(name).services.map((s) => s.name);

  return {
    client,
    taskQueue: config.temporal.taskQueue,
    policy: installedPolicy(releasePolicy(config, client.options.namespace)),
    services,
    target(name: string, now: () => number): DeploymentTarget {
      const env = environment(name);
      if (env.target.type === 'kubernetes') return real.kubernetesTarget(name, env);
      return new SimulatedTarget({
        environment: name,
        services: services(name),
        stateDir,
        scenario,
        now,
        timeScale: config.simulation.timeScale,
        stepMs: config.simulation.rolloutStep,
      });
    },
    metrics(name: string, now: () => number): MetricsSource {
      if (config.metrics.provider === 'prometheus') return real.prometheusMetrics(name, config.metrics);
      return new SimulatedMetrics({
        environment: name,
        stateDir,
        scenario,
        now,
        timeScale: config.simulation.timeScale,
      });
    },
    router(name: string): TrafficRouter {
      const env = environment(name);
      const router = routerOf(env);
      if (router.type === 'simulated')
        return new SimulatedRouter({ environment: name, services: services(name), stateDir });
      return real.kubernetesRouter(name, env, router, config.stages.canary.maxShareError);
    },
    gates(): GateProvider {
      if (config.gates.provider === 'github') return real.githubGates(config.gates);
      return new SimulatedGates(scenario);
    },
    notifier:
      options.notifier ??
      (config.notifications.provider === 'slack'
        ? real.slackNotifier(config.notifications, config.slack.users)
        : new ConsoleNotifier()),
    records: options.records ?? openRecordsStore(config.records),
  };
}

type SlackConfig = Extract<Config['notifications'], { provider: 'slack' }>;

export interface RealIntegrations {
  kubernetesTarget(environment: string, env: EnvironmentConfig): DeploymentTarget;
  kubernetesRouter(
    environment: string,
    env: EnvironmentConfig,
    router: Exclude<RouterConfig, { type: 'simulated' }>,
    maxShareErrorPp: number,
  ): TrafficRouter;
  prometheusMetrics(environment: string, config: PrometheusConfig): MetricsSource;
  githubGates(config: GitHubGatesConfig): GateProvider;
  slackNotifier(config: SlackConfig, slackUsers: Record<string, string>): Notifier;
}

export const realIntegrations: RealIntegrations = {
  kubernetesTarget: (environment, env) => {
    const target = env.target;
    if (target.type !== 'kubernetes')
      throw new ConfigError(`environments.${environment}.target is not a Kubernetes target`);
    return new KubernetesTarget({
      environment,
      namespace: target.namespace,
      services: env.services,
      kubeconfig: target.kubeconfig,
      context: target.context,
      inCluster: target.inCluster,
      rolloutTimeoutMs: target.rolloutTimeout,
    });
  },
  kubernetesRouter: (environment, env, router, maxShareErrorPp) => {
    const target = env.target;
    if (target.type !== 'kubernetes')
      throw new ConfigError(`environments.${environment}.router ${router.type} needs a Kubernetes target`);
    const connection = {
      environment,
      kubeconfig: target.kubeconfig,
      context: target.context,
      inCluster: target.inCluster,
    };
    if (router.type === 'replicas')
      return new ReplicasRouter({
        ...connection,
        namespace: target.namespace,
        services: env.services,
        maxShareErrorPp,
      });
    return new GatewayApiRouter({
      ...connection,
      namespace: target.namespace,
      services: env.services.map((s) => ({ name: s.name, route: router.routes[s.name] ?? s.name })),
      acceptanceTimeoutMs: router.acceptanceTimeout,
      configKey: `environments.${environment}.router`,
    });
  },
  prometheusMetrics: (environment, config) => new PrometheusMetrics(config, { environment }),
  githubGates: (config) => new GitHubGates(config),
  slackNotifier: (config, slackUsers) => {
    const token = process.env[config.botTokenEnv];
    if (!token)
      throw new ConfigError(
        `notifications.botTokenEnv names ${config.botTokenEnv}, which is not set: export the Slack bot token (xoxb-…) there`,
      );
    const mentions = Object.fromEntries(Object.entries(slackUsers).map(([slackId, identity]) => [identity, slackId]));
    return new SlackNotifier({
      apiBaseUrl: config.apiBaseUrl,
      channel: config.channel,
      token,
      tokenHint: config.botTokenEnv,
      mentions,
    });
  },
};
