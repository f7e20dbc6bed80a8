// Block Kit rendering of a release notification, and the names the Slack gateway reads back when a
// button is clicked (action IDs, the button value, the actions block's ID). Pure: no I/O, so the
// notifier, the gateway and the tests share one definition of what a release message looks like.
//
// Slack refuses a whole message when one block breaks a limit (invalid_blocks), and a notification
// that cannot be posted is worse than a shortened one, so every text is cut to Slack's limits here.
import type { Notification, NotificationAction, NotificationKind } from './notifications';

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export interface ConfirmDialog {
  title: PlainText;
  text: PlainText;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}
export interface Button {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}
export type Block =
  | { type: 'header'; block_id?: string; text: PlainText }
  | {
      type: 'section';
      block_id?: string;
      text?: Mrkdwn | PlainText;
      fields?: Array<Mrkdwn | PlainText>;
      accessory?: Button;
    }
  | { type: 'context'; block_id?: string; elements: Array<Mrkdwn | PlainText> }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'divider'; block_id?: string };

export interface SlackMessage {
  /** Fallback shown in notifications and by clients that cannot draw blocks. */
  text: string;
  blocks: Block[];
}

/** Slack's limits (api.slack.com/reference/block-kit): longer texts make Slack refuse the message. */
export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionElements: 25,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  fallbackText: 3000,
} as const;

export const ACTION_IDS: Readonly<Record<NotificationAction, string>> = {
  approve: 'release_approve',
  reject: 'release_reject',
  resume: 'release_resume',
  rollback: 'release_rollback',
};
/** The link button: Slack still reports its click to the gateway, which ignores it. */
export const VIEW_IN_TEMPORAL_ACTION_ID = 'release_view_temporal';
/** The block holding the decision buttons; the gateway removes it once the decision is settled. */
export const ACTIONS_BLOCK_ID = 'release_actions';

/** What a decision button carries back to the gateway: which release the click is about. */
export interface ButtonValue {
  workflowId: string;
  version: string;
}

export function actionForId(actionId: string): NotificationAction | null {
  const found = (Object.entries(ACTION_IDS) as Array<[NotificationAction, string]>).find(([, id]) => id === actionId);
  return found ? found[0] : null;
}

const KIND_ICON: Readonly<Record<NotificationKind, string>> = {
  'release-started': '🚀',
  'approval-requested': '🙋',
  'approval-reminder': '⏰',
  'approval-recorded': '👍',
  'stage-changed': '➡️',
  'canary-paused': '⏸️',
  'pause-reminder': '⏰',
  'rollback-started': '⏪',
  'release-finished': '🏁',
};

const BUTTONS: Readonly<
  Record<
    NotificationAction,
    { label: string; style: 'primary' | 'danger'; confirm: ((version: string) => string) | null }
  >
> = {
  approve: { label: 'Approve', style: 'primary', confirm: null },
  reject: { label: 'Reject', style: 'danger', confirm: (v) => `Reject ${v}? It will not be promoted to production.` },
  resume: { label: 'Resume canary', style: 'primary', confirm: null },
  rollback: {
    label: 'Roll back',
    style: 'danger',
    confirm: (v) => `Roll back the ${v} canary? Production keeps the stable version.`,
  },
};

export function renderNotification(n: Notification, mentions: Record<string, string> = {}): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: plain(`${KIND_ICON[n.kind]} ${n.title}`, LIMITS.headerText) }];

  if (n.reason.trim() !== '')
    blocks.push({ type: 'section', text: mrkdwn(escapeMrkdwn(n.reason), LIMITS.sectionText) });

  const summary: Extract<Block, { type: 'section' }> = {
    type: 'section',
    fields: [
      mrkdwn(`*Version*\n${escapeMrkdwn(n.version)}`, LIMITS.field),
      mrkdwn(`*Kind*\n${n.releaseKind}`, LIMITS.field),
      mrkdwn(`*Stage*\n${n.stage}`, LIMITS.field),
    ],
  };
  // A link button needs an absolute URL; a bad one would make Slack refuse the whole message.
  if (isHttpUrl(n.url) && n.url.length <= LIMITS.url) {
    summary.accessory = {
      type: 'button',
      text: plain('View in Temporal', LIMITS.buttonText),
      action_id: VIEW_IN_TEMPORAL_ACTION_ID,
      url: n.url,
    };
  }
  blocks.push(summary);

  if (n.gates.length > 0) {
    const passed = n.gates.filter((g) => g.passed).length;
    const lines = n.gates.map((g) => {
      const evidence = g.evidence !== null && isHttpUrl(g.evidence) ? ` (<${g.evidence}|evidence>)` : '';
      return `${g.passed ? '✅' : '❌'} *${g.gate}*: ${escapeMrkdwn(g.reason)}${evidence}`;
    });
    blocks.push({
      type: 'section',
      text: mrkdwn(`*Gates*: ${passed} of ${n.gates.length} passed\n${lines.join('\n')}`, LIMITS.sectionText),
    });
  }

  const approvalLines: string[] = [];
  if (n.approvalProgress !== null) approvalLines.push(`*Approvals*: ${escapeMrkdwn(n.approvalProgress)}`);
  if (n.asked.length > 0) {
    const asked = n.asked.map((who) => (mentions[who] ? `<@${mentions[who]}>` : escapeMrkdwn(who)));
    approvalLines.push(`*Asked*: ${asked.join(', ')}`);
  }
  if (approvalLines.length > 0)
    blocks.push({ type: 'context', elements: approvalLines.map((line) => mrkdwn(line, LIMITS.sectionText)) });

  const actions = unique(n.actions);
  if (actions.length > 0) {
    const value = JSON.stringify({ workflowId: n.workflowId, version: n.version } satisfies ButtonValue);
    blocks.push({
      type: 'actions',
      block_id: ACTIONS_BLOCK_ID,
      elements: actions.map((a) => decisionButton(a, n.version, value)),
    });
  }

  return { text: truncate(`${n.title}${n.reason.trim() ? `: ${n.reason}` : ''}`, LIMITS.fallbackText), blocks };
}

function decisionButton(action: NotificationAction, version: string, value: string): Button {
  const spec = BUTTONS[action];
  const button: Button = {
    type: 'button',
    text: plain(spec.label, LIMITS.buttonText),
    action_id: ACTION_IDS[action],
    value,
    style: spec.style,
  };
  if (spec.confirm !== null) {
    button.confirm = {
      title: plain('Are you sure?', LIMITS.confirmTitle),
      text: plain(spec.confirm(version), LIMITS.confirmText),
      confirm: plain(spec.label, LIMITS.confirmButton),
      deny: plain('Cancel', LIMITS.confirmButton),
      style: 'danger',
    };
  }
  return button;
}

export function plain(text: string, max: number): PlainText {
  return { type: 'plain_text', text: truncate(text.trim() === '' ? '-' : text, max), emoji: true };
}

export function mrkdwn(text: string, max: number): Mrkdwn {
  return { type: 'mrkdwn', text: truncate(text.trim() === '' ? '-' : text, max) };
}

/** Slack's mrkdwn treats &, < and > as control characters (links, mentions); text must escape them. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to at most `max` characters (UTF-16 units, as Slack counts), marking the cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half of a surrogate pair (an emoji) at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
