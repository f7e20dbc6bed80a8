// The simulated deployment target: each environment's services and their stable and canary versions
// live in a JSON file, so a demo or test run shows real state changes without a cluster. Health
// follows the scenario, timed from the relevant deploy on the clock the activity passes in.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { DeploymentTarget, Progress } from '../ports';
import type { ServiceHealth } from '../../shared/release';
import { readJson, writeJsonAtomic } from '../../records/atomic-json';
import { unhealthyAt, type Scenario } from '../../shared/scenarios';

interface ServiceState {
  stable: string;
  canary: string | null;
}

export interface SimulatedEnvironmentState {
  environment: string;
  services: Record<string, ServiceState>;
  stableDeployedAt: number;
  canaryDeployedAt: number | null;
  /** The share of requests the canary gets, in percent (absent in state files written before routing). */
  canaryWeightPct?: number;
  /** Versions that have completed a stable rollout here; a scripted rollout failure spares them, so a restore works. */
  everDeployed: string[];
}

export interface SimulatedTargetOptions {
  environment: string;
  services: string[];
  stateDir: string;
  scenario: Scenario;
  /** Milliseconds since the epoch on the workflow's timeline (the activity's scheduled time). */
  now: () => number;
  /** What runs in a fresh environment before any release. */
  initialVersion?: string;
  /** Scenario minutes per real minute (1 in tests, 60 in the demo). */
  timeScale?: number;
  /** Real milliseconds each service's rollout step takes (20 unless configured). */
  stepMs?: number;
}

export const SIMULATED_INITIAL_VERSION = 'v1.0.0';

export function simulatedStatePath(stateDir: string, environment: string): string {
  return join(stateDir, `${environment}.json`);
}

export class SimulatedTarget implements DeploymentTarget {
  constructor(private readonly o: SimulatedTargetOptions) {}

  async deploy(version: string, progress: Progress): Promise<ServiceHealth[]> {
    const state = this.load();
    if (this.failing('deploy') && !state.everDeployed.includes(version)) {
      throw ApplicationFailure.nonRetryable(
        `rollout of ${this.o.services[0]} to ${version} in ${this.o.environment} exceeded its progress deadline (simulated failure)`,
        'RolloutStuck',
      );
    }
    for (const name of this.o.services) {
      const svc = state.services[name];
      if (svc && svc.stable !== version) {
        svc.stable = version;
        state.stableDeployedAt = this.o.now();
      }
      progress(`${name} rolled out to ${version}`);
      await pause(this.o.stepMs);
    }
    if (!state.everDeployed.includes(version)) state.everDeployed.push(version);
    this.save(state);
    return this.health('stable');
  }

  async deployCanary(version: string, weightPercent: number, progress: Progress): Promise<ServiceHealth[]> {
    const state = this.load();
    for (const name of this.o.services) {
      const svc = state.services[name];
      if (svc && svc.canary !== version) {
        svc.canary = version;
        state.canaryDeployedAt = this.o.now();
      }
      progress(`${name}-canary running ${version} at ${weightPercent}%`);
      await pause(this.o.stepMs);
    }
    state.canaryWeightPct = weightPercent;
    this.save(state);
    return this.health('canary');
  }

  async removeCanary(progress: Progress): Promise<void> {
    if (this.failing('removeCanary')) {
      throw new Error(
        `could not remove the canary in ${this.o.environment}: the API refused the delete (simulated failure)`,
      );
    }
    const state = this.load();
    for (const name of this.o.services) {
      const svc = state.services[name];
      if (svc) svc.canary = null;
      progress(`${name}-canary removed`);
      await pause(this.o.stepMs);
    }
    state.canaryDeployedAt = null;
    delete state.canaryWeightPct;
    this.save(state);
    await pause(this.o.stepMs);
  }

  health(track: 'stable' | 'canary'): Promise<ServiceHealth[]> {
    const state = this.load();
    const since = track === 'stable' ? state.stableDeployedAt : state.canaryDeployedAt;
    if (since === null) return Promise.resolve([]);
    const minute = ((this.o.now() - since) / 60_000) * (this.o.timeScale ?? 1);
    const steps =
      track === 'stable'
        ? this.o.environment === 'staging'
          ? this.o.scenario.stagingUnhealthy
          : []
        : this.o.scenario.canaryUnhealthy;
    const sick = unhealthyAt(steps, minute);
    return Promise.resolve(
      this.o.services.flatMap((service) => {
        const svc = state.services[service];
        const version = track === 'stable' ? (svc?.stable ?? null) : (svc?.canary ?? null);
        if (version === null) return [];
        const problem = sick.find((s) => s.service === service);
        return [{ service, version, healthy: !problem, detail: problem ? problem.detail : 'ready' }];
      }),
    );
  }

  private failing(operation: string): boolean {
    return this.o.scenario.failingOperations.includes(`${this.o.environment}:${operation}`);
  }

  private load(): SimulatedEnvironmentState {
    const path = simulatedStatePath(this.o.stateDir, this.o.environment);
    const existing = readJson<SimulatedEnvironmentState>(path);
    if (existing) {
      for (const name of this.o.services)
        existing.services[name] ??= { stable: existing.everDeployed[0] ?? SIMULATED_INITIAL_VERSION, canary: null };
      return existing;
    }
    const initial = this.o.initialVersion ?? SIMULATED_INITIAL_VERSION;
    return {
      environment: this.o.environment,
      services: Object.fromEntries(this.o.services.map((s) => [s, { stable: initial, canary: null }])),
      stableDeployedAt: this.o.now(),
      canaryDeployedAt: null,
      everDeployed: [initial],
    };
  }

  private save(state: SimulatedEnvironmentState): void {
    writeJsonAtomic(simulatedStatePath(this.o.stateDir, this.o.environment), state);
  }
}

/** A short real pause per service so progress is visible in the demo, without slowing tests much. */
const pause = (ms = 20) => delay(ms);
