// Operations on environments: manual rollback and verification of what runs there. Declared here;
// the actions load their modules when they run (src/client/lazy.ts).
import type { Command } from 'commander';
import { environmentProblem, versionProblem } from '../../shared/identifiers';
import { defaultIdentity, requireValid, type CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as Operations from '../actions/operations';

const actions = () => lazy<typeof Operations>(require, '../actions/operations');

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
      await actions().rollback(ctx, environment, o);
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
      await actions().verify(ctx, environment, o);
    });
}
