// The decisions sent to a running release: request-canary, approve, reject, resume, abort and
// cancel. Loaded when one of them runs (src/client/lazy.ts).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  cancelUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  requestCanaryUpdate,
} from '../../shared/messages';
import { runningRelease } from '../releases';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';

export async function requestCanary(ctx: CliContext, version: string, o: { requestedBy: string }): Promise<void> {
  const ack = await update(ctx, version, (h) =>
    h.executeUpdate(requestCanaryUpdate, { args: [{ requestedBy: o.requestedBy, channel: 'cli' }] }),
  );
  ctx.out(ack.message);
}

export async function approve(
  ctx: CliContext,
  version: string,
  o: { approver: string; notBefore?: string; note?: string },
): Promise<void> {
  const ack = await update(ctx, version, (h) =>
    h.executeUpdate(approveUpdate, {
      args: [{ approver: o.approver, channel: 'cli', notBefore: o.notBefore ?? null, note: o.note ?? null }],
    }),
  );
  ctx.out(ack.message);
}

export async function reject(ctx: CliContext, version: string, o: { approver: string; reason: string }): Promise<void> {
  const ack = await update(ctx, version, (h) =>
    h.executeUpdate(rejectUpdate, { args: [{ approver: o.approver, channel: 'cli', reason: o.reason }] }),
  );
  ctx.out(ack.message);
}

export async function decidePause(
  ctx: CliContext,
  version: string,
  decision: 'resume' | 'abort',
  o: { approver: string; reason?: string },
): Promise<void> {
  const ack = await update(ctx, version, (h) =>
    h.executeUpdate(pauseDecisionUpdate, {
      args: [
        {
          approver: o.approver,
          channel: 'cli',
          decision: decision === 'resume' ? 'resume' : 'rollback',
          reason: o.reason ?? null,
        },
      ],
    }),
  );
  ctx.out(ack.message);
}

export async function cancel(
  ctx: CliContext,
  version: string,
  o: { requestedBy: string; reason?: string },
): Promise<void> {
  const ack = await update(ctx, version, (h) =>
    h.executeUpdate(cancelUpdate, {
      args: [{ requestedBy: o.requestedBy, channel: 'cli', reason: o.reason ?? null }],
    }),
  );
  ctx.out(`${ack.message} ("release-promote watch ${version}")`);
}

/** Sends a decision to a running release; one on an ended release gets its outcome instead (exit 2). */
async function update<T>(ctx: CliContext, version: string, send: (h: WorkflowHandle) => Promise<T>): Promise<T> {
  const { client } = await ctx.client();
  const handle = await runningRelease(client, version);
  try {
    return await send(handle);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new InvalidInputError(`refused: ${err.cause?.message ?? err.message}`);
    // It ended between the look-up and the decision: say how.
    if (err instanceof WorkflowNotFoundError || /already completed/.test(String((err as Error).message)))
      await runningRelease(client, version);
    throw err;
  }
}
