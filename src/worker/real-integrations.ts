// The real integrations (Kubernetes, Prometheus, GitHub, Slack), constructed from their config
// sections. Kept apart from the simulated ones so a config that does not use them never builds them.
import type { Config, EnvironmentConfig } from '../config/schema';
import { ConfigError } from '../config/load';
import type { DeploymentTarget, GateProvider, MetricsSource, Notifier } from '../activities/ports';
import { PrometheusMetrics, type PrometheusConfig } from '../activities/metrics/prometheus';
import { GitHubGates, type GitHubGatesConfig } from '../activities/gates/github';
import { SlackNotifier } from '../activities/notify/slack';
import { KubernetesTarget } from '../activities/kubernetes/target';

type SlackConfig = Extract<Config['notifications'], { provider: 'slack' }>;

export interface RealIntegrations {
  kubernetesTarget(environment: string, env: EnvironmentConfig): DeploymentTarget;
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
