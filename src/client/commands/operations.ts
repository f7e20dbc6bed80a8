// Operations on environments: manual rollback and verification of what runs there.
import type { Command } from 'commander';
import { EnvironmentVerification, startWorkflow } from '../../workflow-api';
import { answeredByWorker } from '../admission';
import { environmentProblem, verificationWorkflowId, versionProblem } from '../../shared/identifiers';
import type { ManualRollbackResult } from '../../shared/rollback';
import { defaultIdentity, requireValid, type CliContext } from '../cli-context';
import { InvalidInputError } from '../start-release';
import { startManualRollback } from '../start-rollback';

export function registerOperationsCommands(program: Command, ctx: CliContext): void {
  program
    .command('rollback')
    .description(
      'roll an environment back to its previous version (or --version), cancelling a promotion in flight there first; ends with verification',
    )
    .argument('<environment>', 'environment, like production')
    .option('--version <version>', 'a version that once ran there (default: the one before the current)')
    .option('--requested-by <identity>', 'who asks (needs the role the policy names for rollback)', defaultIdentity())
    .option('--no-wait', 'return once the rollback has started')
    .action(async (environment: string, o: { version?: string; requestedBy: string; wait: boolean }) => {
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
    });

  program
    .command('verify')
    .description(
      'check that every service of an environment runs the expected version, is healthy and has no canary left (exit 1 if not)',
    )
    .argument('[environment]', 'environment', 'production')
    .option('--version <version>', 'expected version (default: the current one in the version records)')
    .addHelpText(
      'after',
      '\nRun by a worker (which has the cluster credentials): a worker must be running on the task queue.',
    )
    .action(async (environment: string, o: { version?: string }) => {
      requireValid(environmentProblem(environment), o.version ? versionProblem(o.version) : null);
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
    });
}
