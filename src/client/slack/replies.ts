// What the gateway says back in Slack: ephemeral verdicts for the person who acted, the original
// release message rewritten with the outcome (who decided, when), and the `/release status` summary.
import { ACTIONS_BLOCK_ID, escapeMrkdwn, LIMITS, mrkdwn, truncate } from '../../shared/slack-blocks';
import { approvalProgress } from '../../shared/approval-rules';
import type { ReleaseStatus } from '../../shared/release';
import type { Decision, Verdict } from './decisions';
import type { ResponseMessage } from './response-url';

export const NOT_MAPPED =
  'You are not mapped to a release-promote identity, so you cannot act on releases from Slack. Ask a release-promote admin to add your Slack user ID under slack.users in release-promote.yaml.';

const DONE: Readonly<Record<Decision['kind'], string>> = {
  approve: 'Approved',
  reject: 'Rejected',
  resume: 'Canary resumed',
  rollback: 'Canary rollback requested',
  cancel: 'Cancellation requested',
};
const NOT_DONE: Readonly<Record<Decision['kind'], string>> = {
  approve: 'Not approved',
  reject: 'Not rejected',
  resume: 'Not resumed',
  rollback: 'Not rolled back',
  cancel: 'Not cancelled',
};

/** Only the person who acted sees it; never replaces the message they clicked in. */
export function ephemeral(text: string): ResponseMessage {
  return { response_type: 'ephemeral', replace_original: false, text: truncate(text, LIMITS.fallbackText) };
}

export function verdictText(decision: Decision, version: string, verdict: Verdict): string {
  switch (verdict.outcome) {
    case 'accepted':
      return `✅ ${DONE[decision.kind]} ${version}: ${verdict.ack.message} (stage ${verdict.ack.stage})`;
    case 'repeat':
      return `☑️ ${verdict.message}`;
    case 'refused':
      return `🚫 ${NOT_DONE[decision.kind]}: ${verdict.reason}`;
    case 'failed':
      return `⚠️ ${NOT_DONE[decision.kind]}: ${verdict.reason}`;
  }
}

/** "✅ Approved by @alice (<@U…>) via Slack at <time>: <ack>", for everyone who sees the message. */
export function outcomeLine(
  decision: Decision,
  identity: string,
  slackUserId: string,
  atMs: number,
  ack: string,
): string {
  const seconds = Math.floor(atMs / 1000);
  const iso = new Date(atMs).toISOString();
  // Slack renders <!date^…> in each reader's time zone; the part after | is the fallback.
  const when = `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
  const icon = decision.kind === 'reject' || decision.kind === 'rollback' || decision.kind === 'cancel' ? '🛑' : '✅';
  return `${icon} *${DONE[decision.kind]}* by ${escapeMrkdwn(identity)} (<@${slackUserId}>) via Slack at ${when}: ${escapeMrkdwn(ack)}`;
}

/**
 * The clicked message with the outcome appended. The decision buttons go once the question is
 * settled; they stay while a hotfix still waits for its second approver.
 */
export function replaceOriginal(
  original: { text?: string | undefined; blocks?: unknown[] | undefined },
  line: string,
  keepButtons: boolean,
): ResponseMessage {
  const blocks = (original.blocks ?? []).filter((b) => keepButtons || !isActionsBlock(b)).slice(0, LIMITS.blocks - 1);
  blocks.push({ type: 'context', elements: [mrkdwn(line, LIMITS.sectionText)] });
  const text = original.text ? `${original.text}\n${line}` : line;
  return { replace_original: true, text: truncate(text, LIMITS.fallbackText), blocks };
}

function isActionsBlock(block: unknown): boolean {
  return typeof block === 'object' && block !== null && (block as { block_id?: unknown }).block_id === ACTIONS_BLOCK_ID;
}

/** A few lines: where the release is, what it waits for, and how its gates and canary are doing. */
export function statusSummary(s: ReleaseStatus): string {
  const lines = [`*${escapeMrkdwn(s.version)}* (${s.kind}, ${escapeMrkdwn(s.workflowId)}): *${s.stage}*`];
  if (s.outcome !== null)
    lines.push(`Outcome: ${s.outcome}${s.outcomeReason ? `: ${escapeMrkdwn(s.outcomeReason)}` : ''}`);
  if (s.waitingFor) lines.push(`Waiting for: ${escapeMrkdwn(s.waitingFor)}`);
  lines.push(
    `Approvals: ${escapeMrkdwn(approvalProgress(s.approval))}${s.approval.rejection ? `; rejected by ${escapeMrkdwn(s.approval.rejection.approver)}` : ''}`,
  );
  if (s.gates.length > 0) {
    const failed = s.gates.filter((g) => !g.passed);
    lines.push(
      `Gates: ${s.gates.length - failed.length} of ${s.gates.length} passed${failed.length ? ` (failed: ${failed.map((g) => `${g.gate}: ${escapeMrkdwn(g.reason)}`).join('; ')})` : ''}`,
    );
  }
  if (s.canary.startedAt !== null) {
    const paused = s.canary.paused
      ? `; paused since ${s.canary.paused.since}: ${escapeMrkdwn(s.canary.paused.reason)}`
      : '';
    lines.push(`Canary: ${minutes(s.canary.elapsedMs)} of ${minutes(s.canary.requiredMs)}${paused}`);
  }
  if (s.rollback) lines.push(`Rollback: ${escapeMrkdwn(s.rollback.reason)}`);
  lines.push(`Requested by ${escapeMrkdwn(s.requestedBy)}, started ${s.startedAt}`);
  return lines.join('\n');
}

function minutes(ms: number): string {
  return `${Math.floor(ms / 60_000)}m`;
}
