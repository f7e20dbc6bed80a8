// Reading a Deployment's status the way `kubectl rollout status` does, and judging its health.
// Counts that are zero are absent from API responses (omitempty), so every one defaults to 0.
import type { V1Deployment } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export type RolloutState =
  { phase: 'complete'; detail: string } | { phase: 'progressing'; detail: string } | { phase: 'stuck'; detail: string };

export interface DeploymentCounts {
  /** spec.replicas (the API defaults it to 1). */
  desired: number;
  generation: number;
  observedGeneration: number;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  /** The Progressing condition's message when its reason is ProgressDeadlineExceeded. */
  deadlineExceeded: string | null;
}

export function countsOf(d: V1Deployment): DeploymentCounts {
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  return {
    desired: d.spec?.replicas ?? 1,
    generation: d.metadata?.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    replicas: d.status?.replicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    ready: d.status?.readyReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    deadlineExceeded:
      progressing?.reason === 'ProgressDeadlineExceeded' ? progressing.message || 'ProgressDeadlineExceeded' : null,
  };
}

/** Where the rollout of the Deployment's current generation stands. */
export function rolloutState(d: V1Deployment): RolloutState {
  const c = countsOf(d);
  if (c.observedGeneration < c.generation) {
    return {
      phase: 'progressing',
      detail: `waiting for the controller to observe generation ${c.generation} (observed ${c.observedGeneration})`,
    };
  }
  // Only meaningful once the current generation is observed: an older generation's condition may linger.
  if (c.deadlineExceeded !== null)
    return { phase: 'stuck', detail: `progress deadline exceeded: ${c.deadlineExceeded}` };
  const counts = `updated ${c.updated}/${c.desired}, available ${c.available}/${c.desired}, total ${c.replicas}`;
  if (c.updated < c.desired) return { phase: 'progressing', detail: `${counts}: new replicas are being created` };
  if (c.replicas > c.updated) return { phase: 'progressing', detail: `${counts}: old replicas are terminating` };
  if (c.available < c.updated)
    return { phase: 'progressing', detail: `${counts}: waiting for updated replicas to become available` };
  return { phase: 'complete', detail: `ready ${c.ready}/${c.desired}` };
}

/**
 * Healthy: the current generation is fully rolled out and every desired replica is ready and
 * available, with no exceeded progress deadline. A Deployment scaled to zero serves nothing.
 */
export function healthOf(d: V1Deployment): { healthy: boolean; detail: string } {
  const c = countsOf(d);
  const ready = `ready ${c.ready}/${c.desired}`;
  if (c.desired === 0) return { healthy: false, detail: 'scaled to 0 replicas' };
  if (c.observedGeneration >= c.generation && c.deadlineExceeded !== null) {
    return { healthy: false, detail: `${ready}, rollout stuck: ${c.deadlineExceeded}` };
  }
  if (c.observedGeneration < c.generation || c.updated < c.desired || c.replicas > c.updated) {
    return { healthy: false, detail: `${ready}, rollout in progress (updated ${c.updated}/${c.desired})` };
  }
  const healthy = c.ready >= c.desired && c.available >= c.desired;
  return {
    healthy,
    detail: healthy || c.available >= c.ready ? ready : `${ready}, available ${c.available}/${c.desired}`,
  };
}
