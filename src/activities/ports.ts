// The small interfaces behind which every integration sits. Activities call these; the simulated,
// Kubernetes, Prometheus, GitHub and Slack implementations each provide one, chosen by config.
import type { DevGateFacts, StagingGateFacts } from '../shared/gates';
import type { GateResult, MetricSample, ReleaseKind, ReleaseStage, ServiceHealth } from '../shared/release';

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
  stagingGateFacts(release: { version: string; commitSha: string; environment: string }): Promise<StagingGateFacts>;
}

export type NotificationKind =
  | 'release-started'
  | 'approval-requested'
  | 'approval-reminder'
  | 'approval-recorded'
  | 'stage-changed'
  | 'canary-paused'
  | 'pause-reminder'
  | 'rollback-started'
  | 'release-finished';

export type NotificationAction = 'approve' | 'reject' | 'resume' | 'rollback';

export interface Notification {
  kind: NotificationKind;
  workflowId: string;
  version: string;
  releaseKind: ReleaseKind;
  stage: ReleaseStage;
  /** One line: what happened. */
  title: string;
  /** One line: why (which gate, metric, value, threshold; who decided). */
  reason: string;
  /** Link to the release in the Temporal Web UI. */
  url: string;
  /** The release's thread (Slack thread timestamp); null for the first message. */
  threadTs: string | null;
  /** Buttons to offer (approval requests and paused canaries). */
  actions: NotificationAction[];
  /** People asked to act (hotfix approvers); empty means anyone with the approver role. */
  asked: string[];
  /** "1 of 2 approvals (@senior-eng); waiting for @team-lead" */
  approvalProgress: string | null;
  gates: GateResult[];
}

export interface NotificationReceipt {
  /** Thread to use for the release's following messages. */
  threadTs: string | null;
}

export interface Notifier {
  send(notification: Notification): Promise<NotificationReceipt>;
}
