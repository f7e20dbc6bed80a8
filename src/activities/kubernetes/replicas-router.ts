// Routing by replica ratio, for clusters without a Gateway API implementation: the Service spreads
// requests over every pod it selects, so the canary's share is its share of the pods. To keep the
// capacity the same, the stable Deployment gives up as many pods as the canary runs; the split is
// the one closest to the weight (src/shared/traffic-share.ts). A split further from the weight than
// stages.canary.maxShareError is refused before the canary starts, saying how many pods would do.
// Weight 0 restores the stable track's own count and scales the canary to no pods.
// RBAC: get and patch on deployments.apps (already the target's).
import { ApplicationFailure } from '@temporalio/common';
import type { Progress, ServiceWeights, TrafficRouter } from '../ports';
import { replicaShareRefusal, replicaSplit } from '../../shared/traffic-share';
import { fmt } from '../../shared/canary-verdict';
import type { KubeConnectionOptions } from './connection';
import { canaryName, KubernetesTarget, type KubernetesService } from './target';

export interface ReplicasRouterOptions extends KubeConnectionOptions {
  namespace: string;
  services: KubernetesService[];
  /** The most the achievable share may miss the weight by, in percentage points. */
  maxShareErrorPp: number;
}

export class ReplicasRouter implements TrafficRouter {
  private readonly target: KubernetesTarget;

  constructor(private readonly o: ReplicasRouterOptions) {
    this.target = new KubernetesTarget({ ...o, rolloutTimeoutMs: 10 * 60_000 });
  }

  async check(canaryPercents: number[]): Promise<void> {
    const refusals: string[] = [];
    for (const svc of this.o.services) {
      const total = await this.target.podTotal(svc.name);
      for (const weight of canaryPercents.filter((w) => w > 0)) {
        const refusal = replicaShareRefusal(svc.name, total, weight, this.o.maxShareErrorPp);
        if (refusal !== null) refusals.push(refusal);
      }
    }
    if (refusals.length > 0) throw ApplicationFailure.nonRetryable(refusals.join('; '), 'CanaryShareRefused');
  }

  async setCanaryWeight(canaryPercent: number, progress: Progress): Promise<ServiceWeights[]> {
    await this.check([canaryPercent]);
    if (canaryPercent > 0) {
      // Pods taken from a stable track with no canary beside it would be capacity lost for nothing.
      const tracks = await Promise.all(this.o.services.map((svc) => this.target.trackReplicas(svc.name)));
      const missing = this.o.services.filter((_, i) => !tracks[i]!.canaryExists).map((svc) => canaryName(svc.name));
      if (missing.length > 0)
        throw ApplicationFailure.nonRetryable(
          `no canary to give ${canaryPercent}% of the pods to: ${missing.join(', ')} not found in namespace ${this.o.namespace}; deploy the canary first`,
          'CanaryNotDeployed',
        );
    }
    for (const svc of this.o.services) {
      const total = await this.target.podTotal(svc.name);
      if (canaryPercent === 0) {
        await this.target.scaleTracks(svc.name, total, 0);
        progress(`${svc.name}: ${total} stable pods, no canary pods`);
        continue;
      }
      const split = replicaSplit(total, canaryPercent);
      await this.target.scaleTracks(svc.name, split.stablePods, split.canaryPods);
      progress(
        `${svc.name}: ${split.canaryPods} canary beside ${split.stablePods} stable pods, ${fmt(split.sharePct)}% of the pods for a ${canaryPercent}% weight`,
      );
    }
    return this.weights();
  }

  async weights(): Promise<ServiceWeights[]> {
    return Promise.all(
      this.o.services.map(async (svc) => {
        const { stable, canary } = await this.target.trackReplicas(svc.name);
        const share = (100 * canary) / (stable + canary);
        return { service: svc.name, stable: 100 - share, canary: share };
      }),
    );
  }
}
