// The real integrations (Kubernetes, Prometheus, GitHub, Slack), constructed from their config
// sections. Kept apart from the simulated ones so a config that does not use them never loads them.
import type { Config, EnvironmentConfig } from '../config/schema';
import type { DeploymentTarget, GateProvider, MetricsSource, Notifier } from '../activities/ports';

type PrometheusConfig = Extract<Config['metrics'], { provider: 'prometheus' }>;
type GitHubConfig = Extract<Config['gates'], { provider: 'github' }>;
type SlackConfig = Extract<Config['notifications'], { provider: 'slack' }>;

export interface RealIntegrations {
  kubernetesTarget(environment: string, env: EnvironmentConfig): DeploymentTarget;
  prometheusMetrics(environment: string, config: PrometheusConfig): MetricsSource;
  githubGates(config: GitHubConfig): GateProvider;
  slackNotifier(config: SlackConfig): Notifier;
}

export function realIntegrations(_config: Config): RealIntegrations {
  const notYet = (what: string): never => {
    throw new Error(`${what} is not available in this build`);
  };
  return {
    kubernetesTarget: () => notYet('the Kubernetes target'),
    prometheusMetrics: () => notYet('the Prometheus metrics source'),
    githubGates: () => notYet('the GitHub gate provider'),
    slackNotifier: () => notYet('the Slack notifier'),
  };
}
