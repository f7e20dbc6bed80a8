// The canary's share of requests as its own step: the router is asked first whether it can give the
// weight (nothing changes when it cannot), the canary's pods are a capacity, and the weight is set
// once they run. Undo sends no requests to the canary before its pods are removed.
// Patched: releases recorded before left the share to the canary's replica count.
import type { ServiceWeights } from '../../shared/release';
import { activities } from '../activity-proxies';
import type { ReleaseContext } from './context';

export const CANARY_ROUTING_PATCH = 'canary-traffic-routing';

/** Whether this release routes the canary's traffic as its own step (same answer for the whole run). */
export function routesTraffic(ctx: ReleaseContext): boolean {
  return ctx.since(CANARY_ROUTING_PATCH);
}

export async function checkRouting(environment: string, weights: number[]): Promise<void> {
  await activities('check', 'check canary routing').checkCanaryRouting({ environment, weights });
}

export async function setCanaryWeight(
  ctx: ReleaseContext,
  environment: string,
  weightPct: number,
  profile: 'deploy' | 'undo' = 'deploy',
): Promise<string> {
  const weights = await activities(profile, `canary weight ${weightPct}%`).setCanaryWeight({ environment, weightPct });
  ctx.status.canary.weights = weights;
  return `${environment}: ${describeWeights(weights)}`;
}

/** `api-gateway 90/10, orchestrator 90/10` (stable/canary percent). */
export function describeWeights(weights: ServiceWeights[]): string {
  const pct = (n: number) => String(Math.round(n * 100) / 100);
  return weights.map((w) => `${w.service} ${pct(w.stable)}/${pct(w.canary)}`).join(', ');
}
