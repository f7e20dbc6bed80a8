// How much of a service's traffic its canary gets: the share a replica ratio can give (when no
// router splits requests by weight), and the share the metrics show the canary actually received.
// Pure, so the target, the workflow, `status` and the tests agree on every figure.
import { fmt } from './canary-verdict';

export interface ReplicaSplit {
  /** Pods before the canary: the stable Deployment's replicas. */
  totalPods: number;
  canaryPods: number;
  stablePods: number;
  /** canary / (stable + canary), in percent. */
  sharePct: number;
  /** |share − weight|, in percentage points. */
  errorPp: number;
}

/**
 * The replica split closest to `weightPct` at the same total pod count, with at least one pod on
 * each track. Ties go to fewer canary pods (less exposure). A service running one pod cannot be
 * split at its size, so it gets one canary pod beside it (two in all).
 */
export function replicaSplit(totalPods: number, weightPct: number): ReplicaSplit {
  const total = Math.max(2, Math.floor(totalPods));
  let best = 1;
  for (let c = 2; c < total; c++) {
    if (Math.abs((100 * c) / total - weightPct) < Math.abs((100 * best) / total - weightPct) - 1e-9) best = c;
  }
  const sharePct = (100 * best) / total;
  return {
    totalPods: total,
    canaryPods: best,
    stablePods: total - best,
    sharePct,
    errorPp: Math.abs(sharePct - weightPct),
  };
}

/** The fewest pods whose best split is within `maxErrorPp` of the weight (what to scale to). */
export function podsForShare(weightPct: number, maxErrorPp: number): number {
  for (let total = 2; total <= 1000; total++) {
    if (replicaSplit(total, weightPct).errorPp <= maxErrorPp + 1e-9) return total;
  }
  return 1000;
}

/**
 * Why a replica canary cannot run at `weightPct` for this service, or null when it can: the
 * achievable share misses the weight by more than `maxErrorPp`. The message says what would work.
 */
export function replicaShareRefusal(
  service: string,
  totalPods: number,
  weightPct: number,
  maxErrorPp: number,
): string | null {
  const split = replicaSplit(totalPods, weightPct);
  if (split.errorPp <= maxErrorPp + 1e-9) return null;
  const pods = podsForShare(weightPct, maxErrorPp);
  const at = replicaSplit(pods, weightPct);
  return (
    `${service}: replicas routing gives the canary ${fmt(split.sharePct)}% of ${split.totalPods} pods ` +
    `(${split.canaryPods} canary beside ${split.stablePods} stable), ${fmt(split.errorPp)} pp off the ${weightPct}% weight ` +
    `(canary.maxShareError ${maxErrorPp} pp); run at least ${pods} pods (${at.canaryPods} canary beside ${at.stablePods} stable ` +
    `gives ${fmt(at.sharePct)}%), or route by weight (router: gateway-api)`
  );
}

/** canary / (canary + stable) requests in percent; null without data or without any request. */
export function observedSharePct(canaryRequests: number | null, stableRequests: number | null): number | null {
  if (canaryRequests === null || stableRequests === null) return null;
  const all = canaryRequests + stableRequests;
  return all > 0 ? (100 * canaryRequests) / all : null;
}

/** How far the observed share may be from the weight: half the weight either way unless the policy says. */
export function shareTolerancePp(weightPct: number, configured: number | null | undefined): number {
  return configured ?? weightPct / 2;
}
