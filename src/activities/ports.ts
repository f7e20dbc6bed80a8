// The small interfaces behind which every integration sits. Activities call these; the simulated,
// Kubernetes, Prometheus, GitHub and Slack implementations each provide one, chosen by config.
import type { DevGateFacts, StagingSuite, SuiteOutcome } from '../shared/gates';

export interface StagingRelease {
  version: string;
  commitSha: string;
  environment: string;
}
import type { MetricSample, ServiceHealth, ServiceWeights } from '../shared/release';

export type { ServiceWeights };
import type { Notification, NotificationReceipt } from '../shared/notifications';
import type { ServiceSample } from '../shared/service-verdict';

/** Called while waiting so the activity heartbeats (and notices cancellation) during long rollouts. */
export type Progress = (detail: string) => void;

export interface DeploymentTarget {
  /** Rolls every service's stable track to `version` and waits for the rollout. Re-applying the same version is a no-op. */
  deploy(version: string, progress: Progress): Promise<ServiceHealth[]>;
  /**
   * Runs `version` as a canary beside the stable track, with pods for about `capacityPercent` of the
   * stable track's load (its share of requests is the TrafficRouter's). Idempotent.
   */
  deployCanary(version: string, capacityPercent: number, progress: Progress): Promise<ServiceHealth[]>;
  /** Removes the canary; the stable track keeps serving. A no-op when there is no canary. */
  removeCanary(progress: Progress): Promise<void>;
  /** Health and running version of each service's stable or canary track. */
  health(track: 'stable' | 'canary'): Promise<ServiceHealth[]>;
}

/**
 * Who decides which share of a service's requests reach the canary, independently of how many pods
 * it runs (the DeploymentTarget's business). Implementations: Gateway API HTTPRoute weights,
 * replica ratios, and the simulator's state file.
 */
export interface TrafficRouter {
  /**
   * Fails (non-retryably, saying why and what would work) when the router cannot give the canary
   * these weights, e.g. a missing route or a pod count too small for the share. Changes nothing.
   */
  check(canaryPercents: number[]): Promise<void>;
  /**
   * Sends `canaryPercent` (0..100) of each service's requests to its canary and the rest to stable,
   * and returns once the router has accepted the change. Idempotent: the same weight again is a no-op.
   */
  setCanaryWeight(canaryPercent: number, progress: Progress): Promise<ServiceWeights[]>;
  /** The weights the router holds now, per service. */
  weights(): Promise<ServiceWeights[]>;
}

export interface MetricsSource {
  /** One measurement of the stable baseline and the canary over the recent window. */
  sample(services: string[]): Promise<{ baseline: MetricSample; canary: MetricSample }>;
  /** The same measurement for each service on its own: its canary against its own stable baseline. */
  sampleServices(services: string[]): Promise<ServiceSample[]>;
}

export interface GateProvider {
  devGateFacts(release: { version: string; commitSha: string }): Promise<DevGateFacts>;
  /** Runs one staging suite; `attempt` is the activity's (1 on the first), for the webhooks' own retry limit. */
  stagingSuite(suite: StagingSuite, release: StagingRelease, attempt: number): Promise<SuiteOutcome>;
}

export interface Notifier {
  send(notification: Notification): Promise<NotificationReceipt>;
}
