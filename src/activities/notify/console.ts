// Notifications for teams without Slack (and the demo): one log line each, in the worker's log
// format (time, level, msg, workflowId, version; src/worker/logging.ts), so they can be collected
// and searched with the rest of the worker's logs.
import type { Notifier } from '../ports';
import type { Notification, NotificationReceipt } from '../../shared/notifications';

export class ConsoleNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  send(n: Notification): Promise<NotificationReceipt> {
    const buttons = n.actions.length ? ` [${n.actions.join(' | ')}]` : '';
    this.write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: 'info',
        msg: `${n.title}: ${n.reason}${buttons}`,
        notification: n.kind,
        workflowId: n.workflowId,
        version: n.version,
        stage: n.stage,
        url: n.url,
      }),
    );
    return Promise.resolve({ threadTs: n.threadTs ?? n.workflowId });
  }
}
