// Simulated canary metrics: the scenario's numbers for the minute of the canary it is asked about.
import type { MetricsSource } from '../ports';
import type { MetricSample } from '../../shared/release';
import { readJson } from '../../records/atomic-json';
import { simulatedStatePath, type SimulatedEnvironmentState } from './target';
import { canarySampleAt, type Scenario } from '../../shared/scenarios';

export class SimulatedMetrics implements MetricsSource {
  constructor(
    private readonly o: {
      environment: string;
      stateDir: string;
      scenario: Scenario;
      now: () => number;
      timeScale?: number;
    },
  ) {}

  sample(_services: string[]): Promise<{ baseline: MetricSample; canary: MetricSample }> {
    const state = readJson<SimulatedEnvironmentState>(simulatedStatePath(this.o.stateDir, this.o.environment));
    const since = state?.canaryDeployedAt ?? null;
    const baseline = { ...this.o.scenario.baseline };
    if (since === null) {
      return Promise.resolve({
        baseline,
        canary: { requests: null, errorRatePct: null, p99Ms: null, availabilityPct: null, queryError: null },
      });
    }
    return Promise.resolve({
      baseline,
      canary: canarySampleAt(this.o.scenario, ((this.o.now() - since) / 60_000) * (this.o.timeScale ?? 1)),
    });
  }
}
