// Simulated canary metrics: the scenario's numbers for the minute of the canary it is asked about.
import type { MetricsSource } from '../ports';
import type { MetricSample } from '../../shared/release';
import { readJson } from '../../records/atomic-json';
import { simulatedStatePath, type SimulatedEnvironmentState } from './target';
import { canarySampleAt, SCENARIO_WEIGHT_PCT, type Scenario } from '../../shared/scenarios';
import type { ServiceSample } from '../../shared/service-verdict';

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

  /**
   * Each service gets the scenario's figures (and its service-specific steps). The scenario's request
   * counts are those of a 10% canary; traffic follows the weight in the state file, so at 25% the
   * canary sees 2.5 times as many requests and the stable track a sixth fewer.
   */
  sampleServices(services: string[]): Promise<ServiceSample[]> {
    const state = readJson<SimulatedEnvironmentState>(simulatedStatePath(this.o.stateDir, this.o.environment));
    const since = state?.canaryDeployedAt ?? null;
    const weight = state?.canaryWeightPct ?? SCENARIO_WEIGHT_PCT;
    const scaled = (n: number | null, factor: number) => (n === null ? null : Math.round(n * factor));
    return Promise.resolve(
      services.map((service) => {
        const b = this.o.scenario.baseline;
        const baseline = { ...b, requests: scaled(b.requests, (100 - weight) / (100 - SCENARIO_WEIGHT_PCT)) };
        if (since === null) return { service, baseline, canary: NO_DATA };
        const minute = ((this.o.now() - since) / 60_000) * (this.o.timeScale ?? 1);
        const c = canarySampleAt(this.o.scenario, minute, service);
        return { service, baseline, canary: { ...c, requests: scaled(c.requests, weight / SCENARIO_WEIGHT_PCT) } };
      }),
    );
  }
}

const NO_DATA: MetricSample = {
  requests: null,
  errorRatePct: null,
  p99Ms: null,
  availabilityPct: null,
  queryError: null,
};
