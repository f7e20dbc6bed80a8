// What a release tells people: the notifications its workflow sends through the notifier port (Slack,
// the console), with the buttons to offer. Vocabulary shared by workflows, activities and the gateway.
import type { GateResult, ReleaseKind, ReleaseStage } from './release';

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

/** A notification with what it says; buttons, asked people, progress and gates when it has them. */
export function notification(
  n: Pick<Notification, 'kind' | 'workflowId' | 'version' | 'releaseKind' | 'stage' | 'title' | 'reason' | 'url'> &
    Partial<Pick<Notification, 'threadTs' | 'actions' | 'asked' | 'approvalProgress' | 'gates'>>,
): Notification {
  return { threadTs: null, actions: [], asked: [], approvalProgress: null, gates: [], ...n };
}

/** A workflow's page in the Temporal Web UI. */
export function workflowLink(webUiUrl: string, namespace: string, workflowId: string): string {
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
