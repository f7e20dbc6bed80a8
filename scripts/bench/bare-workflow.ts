// The baseline the product is measured against: a workflow that does nothing but wait durably, as a
// parked release does. Its history, once parked, is 5 events: started, one workflow task
// (scheduled, started, completed) and the timer.
import { sleep } from '@temporalio/workflow';

export async function bareWorkflow(): Promise<void> {
  await sleep('2h');
}
