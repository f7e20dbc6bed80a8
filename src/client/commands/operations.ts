// Operations on environments: verification of what runs there.
import type { Command } from 'commander';
import { connectClient } from '../connection';
import { activityDeps } from '../../worker/activity-deps';
import { environmentRecordsQuery } from '../../shared/ledger';
import { environmentWorkflowId, versionProblem } from '../../shared/identifiers';
import { requireValid, type CliContext } from '../cli';
import { InvalidInputError } from '../start-release';

export function registerOperationsCommands(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description('check that every service of an environment runs the expected version and is healthy (exit 1 if not)')
    .argument('[environment]', 'environment', 'production')
    .option('--version <version>', 'expected version (default: the current one in the version records)')
    .action(async (environment: string, o: { version?: string }) => {
      const config = ctx.config();
      if (!(environment in config.environments)) throw new InvalidInputError(`unknown environment "${environment}" (known: ${Object.keys(config.environments).join(', ')})`);
      if (o.version) requireValid(versionProblem(o.version));
      const { client } = await connectClient();
      let expected = o.version;
      if (!expected) {
        const records = await client.workflow.getHandle(environmentWorkflowId(environment, config.temporal.taskQueue)).query(environmentRecordsQuery).catch(() => null);
        expected = records?.current?.version;
      }
      if (!expected) throw new InvalidInputError(`no version is recorded for ${environment}; pass --version`);
      const health = await activityDeps(config, client).target(environment, Date.now).health('stable');
      let ok = true;
      for (const svc of config.environments[environment]!.services) {
        const h = health.find((x) => x.service === svc.name);
        const good = !!h && h.healthy && h.version === expected;
        ok &&= good;
        const state = !h ? 'not found' : h.healthy ? 'healthy' : `unhealthy: ${h.detail}`;
        ctx.out(`${good ? '✓' : '✗'} ${svc.name}: ${h?.version ?? '-'} (${state}${h && h.version !== expected ? `, expected ${expected}` : ''})`);
      }
      process.exitCode = ok ? 0 : 1;
    });
}
