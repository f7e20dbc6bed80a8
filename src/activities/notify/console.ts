// Notifications printed as one structured JSON line each, for the demo and for teams without Slack.
import type { Notification, NotificationReceipt, Notifier } from '../ports';

export class ConsoleNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  send(n: Notification): Promise<NotificationReceipt> {
    const buttons = n.actions.length ? ` [${n.actions.join(' | ')}]` : '';
    this.write(JSON.stringify({ notification: n.kind, release: n.workflowId, stage: n.stage, message: `${n.title}: ${n.reason}${buttons}`, url: n.url }));
    return Promise.resolve({ threadTs: n.threadTs ?? n.workflowId });
  }
}
