// Sending a notification from workflow code. A notification that cannot be delivered after its
// retries must not stop a release or a rollback: the audit trail and the status query still carry
// everything the message would have said.
import type { Notification, NotificationReceipt } from '../shared/notifications';
import { activities } from './activity-proxies';
import { surviveCancel } from './records-survive-cancel';

export async function sendNotification(n: Notification): Promise<NotificationReceipt | null> {
  try {
    return await surviveCancel(() => activities('notify', `notify: ${n.kind}`).notify(n));
  } catch {
    return null;
  }
}
