// The simulated traffic router: the canary's weight is kept in the environment's state file beside
// the simulated target's versions, and the simulated metrics give the canary that share of requests.
import type { Progress, ServiceWeights, TrafficRouter } from '../ports';
import { readJson, writeJsonAtomic } from '../../records/atomic-json';
import { simulatedStatePath, type SimulatedEnvironmentState } from './target';

export class SimulatedRouter implements TrafficRouter {
  constructor(private readonly o: { environment: string; services: string[]; stateDir: string }) {}

  check(): Promise<void> {
    return Promise.resolve();
  }

  async setCanaryWeight(canaryPercent: number, progress: Progress): Promise<ServiceWeights[]> {
    const path = simulatedStatePath(this.o.stateDir, this.o.environment);
    const state = readJson<SimulatedEnvironmentState>(path);
    // Before any deploy there is no state file and nothing to route (a weight of 0 is then true as is).
    if (state && state.canaryWeightPct !== canaryPercent) {
      state.canaryWeightPct = canaryPercent;
      writeJsonAtomic(path, state);
    }
    progress(`${this.o.services.join(', ')}: canary ${canaryPercent}%, stable ${100 - canaryPercent}%`);
    return this.weights();
  }

  weights(): Promise<ServiceWeights[]> {
    const state = readJson<SimulatedEnvironmentState>(simulatedStatePath(this.o.stateDir, this.o.environment));
    const canary = state?.canaryWeightPct ?? 0;
    return Promise.resolve(this.o.services.map((service) => ({ service, stable: 100 - canary, canary })));
  }
}
