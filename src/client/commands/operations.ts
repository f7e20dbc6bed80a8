// Operations on environments: manual rollback and verification of what runs there.
import type { Command } from 'commander';
import type { Config } from '../../config/schema';
import { activityDeps } from '../../worker/activity-deps';
import { environmentRecordsQuery } from '../../shared/ledger';
import { environmentWorkflowId, versionProblem } from '../../shared/identifiers';
import { verifyServices } from '../../shared/verification';
import type { ManualRollbackResult } from '../../shared/rollback';
import { defaultIdentity, requireValid, type CliContext } from '../cli';
import { InvalidInputError } from '../start-release';
import { startManualRollback } from '../start-rollback';

function requireEnvironment(config: Config, environment: string): void {
  if (!(environment in config.environments))
    throw new InvalidInputError(
      `unknown environment "${environment}" (known: ${Object.keys(config.environments).join(', ')})`,
    );
}

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
      process.exitCode = result.ok ? 0 : 1;
    });

  program
    .command('verify')
    .description(
      'check that every service of an environment runs the expected version, is healthy and has no canary left (exit 1 if not)',
    )
    .argument('[environment]', 'environment', 'production')
    .option('--version <version>', 'expected version (default: the current one in the version records)')
    .action(async (environment: string, o: { version?: string }) => {
      const config = ctx.config();
      requireEnvironment(config, environment);
      if (o.version) requireValid(versionProblem(o.version));
      const { client } = await ctx.client();
      let expected = o.version;
      if (!expected) {
        const records = await client.workflow
          .getHandle(environmentWorkflowId(environment, config.temporal.taskQueue))
          .query(environmentRecordsQuery)
          .catch(() => null);
        expected = records?.current?.version;
      }
      if (!expected) throw new InvalidInputError(`no version is recorded for ${environment}; pass --version`);
      const services = config.environments[environment]!.services.map((s) => s.name);
      const target = activityDeps(config, client).target(environment, Date.now);
      const report = verifyServices(
        environment,
        expected,
        services,
        await target.health('stable'),
        await target.health('canary'),
      );
      for (const s of report.services) ctx.out(s.line);
      process.exitCode = report.ok ? 0 : 1;
    });
}
