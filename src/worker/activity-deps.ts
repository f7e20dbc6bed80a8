// Builds the activities' dependencies from the config: which target, metrics source, gate provider
// and notifier each environment uses. Real integrations are loaded only when configured.
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema';
import { releasePolicy } from '../config/load';
import { installedPolicy } from '../config/policy-digest';
import type { ActivityDeps } from '../activities';
import type { DeploymentTarget, GateProvider, MetricsSource, Notifier } from '../activities/ports';
import { loadScenario } from '../activities/simulated/scenarios';
import { SimulatedTarget } from '../activities/simulated/target';
import { SimulatedMetrics } from '../activities/simulated/metrics';
import { SimulatedGates } from '../activities/simulated/gates';
import { ConsoleNotifier } from '../activities/notify/console';
import { realIntegrations } from './real-integrations';

export function activityDeps(config: Config, client: Client, options: { notifier?: Notifier } = {}): ActivityDeps {
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
    gates(): GateProvider {
      if (config.gates.provider === 'github') return real.githubGates(config.gates);
      return new SimulatedGates(scenario);
    },
    notifier:
      options.notifier ??
      (config.notifications.provider === 'slack'
        ? real.slackNotifier(config.notifications, config.slack.users)
        : new ConsoleNotifier()),
    auditDir: resolve(config.records.auditDir),
    evidenceDir: resolve(config.records.evidenceDir),
    sotDir: resolve(config.records.sotDir),
  };
}
