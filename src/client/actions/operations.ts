// `rollback` and `verify`: operations on an environment. Loaded when one of them runs
// (src/client/lazy.ts).
import { EnvironmentVerification, startWorkflow } from '../../workflow-api';
import { answeredByWorker } from '../admission';
import { verificationWorkflowId } from '../../shared/identifiers';
import type { ManualRollbackResult } from '../../shared/rollback';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';
import { startManualRollback } from '../start-rollback';

export async function rollback(
  ctx: CliContext,
  environment: string,
  o: { version?: string; requestedBy: string; wait: boolean },
): Promise<void> {
  const { client } = await ctx.client();
  const started = await startManualRollback(client, ctx.config(), {
    environment,
    version: o.version,
    requestedBy: o.requestedBy,
    channel: 'cli',
  });
  ctx.out(started.message);
  if (!o.wait) return;
  const result: ManualRollbackResult = await started.handle.result();
  for (const line of result.verification) ctx.out(line);
  ctx.out(result.reason);
  ctx.exitCode = result.ok ? 0 : 1;
}

export async function verify(ctx: CliContext, environment: string, o: { version?: string }): Promise<void> {
  const { client } = await ctx.client();
  const taskQueue = ctx.config().temporal.taskQueue;
  const handle = await startWorkflow(client, EnvironmentVerification, {
    workflowId: verificationWorkflowId(environment, new Date()),
    taskQueue,
    args: [{ environment, version: o.version ?? null }],
  });
  const outcome = await answeredByWorker(client, taskQueue, `verification of ${environment}`, () =>
    handle.result(),
  ).catch(async (err: unknown) => {
    // A verification nobody ran is worth nothing later: do not leave it waiting.
    await handle.terminate('no worker answered').catch(() => undefined);
    throw err;
  });
  if (outcome.refused !== null) throw new InvalidInputError(outcome.refused);
  for (const s of outcome.report.services) ctx.out(s.line);
  ctx.exitCode = outcome.report.ok ? 0 : 1;
}
