// The small interfaces behind which every integration sits. Activities call these; the simulated,
// Kubernetes, Prometheus, GitHub and Slack implementations each provide one, chosen by config.
import type { DevGateFacts, StagingSuite, SuiteOutcome } from '../shared/gates';

export interface StagingRelease {
  version: string;
  commitSha: string;
  environment: string;
}
import type { MetricSample, ServiceHealth } from '../shared/release';
import type { Notification, NotificationReceipt } from '../shared/notifications';

/** Called while waiting so the activity heartbeats (and notices cancellation) during long rollouts. */
export type Progress = (detail: string) => void;

export interface DeploymentTarget {
  /** Rolls every service's stable track to `version` and waits for the rollout. Re-applying the same version is a no-op. */
  deploy(version: string, progress: Progress): Promise<ServiceHealth[]>;
  /** Runs `version` as a canary beside the stable track with about `weightPercent` of the capacity. Idempotent. */
  deployCanary(version: string, weightPercent: number, progress: Progress): Promise<ServiceHealth[]>;
  /** Removes the canary; the stable track keeps serving. A no-op when there is no canary. */
  removeCanary(progress: Progress): Promise<void>;
  /** Health and running version of each service's stable or canary track. */
  health(track: 'stable' | 'canary'): Promise<ServiceHealth[]>;
}

export interface MetricsSource {
  /** One measurement of the stable baseline and the canary over the recent window. */
  sample(services: string[]): Promise<{ baseline: MetricSample; canary: MetricSample }>;
}

export interface GateProvider {
  devGateFacts(release: { version: string; commitSha: string }): Promise<DevGateFacts>;
  /** Runs one staging suite; `attempt` is the activity's (1 on the first), for the webhooks' own retry limit. */
  stagingSuite(suite: StagingSuite, release: StagingRelease, attempt: number): Promise<SuiteOutcome>;
}

export interface Notifier {
  send(notification: Notification): Promise<NotificationReceipt>;
}
