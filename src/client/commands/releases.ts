// The commands on one release: start it, decide on it, read it. Declared here with light imports
// only; each action requires its module when it runs (src/client/lazy.ts).
import { Option, type Command } from 'commander';
import { commitProblem, identityProblem, versionProblem } from '../../shared/identifiers';
import { defaultIdentity, requireValid, type CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';
import { lazy } from '../lazy';
import type * as Start from '../actions/start';
import type * as Decide from '../actions/decide';
import type * as Status from '../actions/status';

const startActions = () => lazy<typeof Start>(require, '../actions/start');
const decideActions = () => lazy<typeof Decide>(require, '../actions/decide');
const statusActions = () => lazy<typeof Status>(require, '../actions/status');

export function registerReleaseCommands(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('start promoting a release: dev gates, then staging, soak, approval, canary and production')
    .argument('<version>', 'release version, like v1.2.3')
    .requiredOption('--commit <sha>', 'commit the release was built from')
    .option('--requested-by <identity>', 'who starts the release (may not approve it)', defaultIdentity())
    .option('--ci-run-id <id>', 'CI run that built the release')
    .option(
      '--again',
      'promote a version that was already promoted a second time (audited); without it a re-run for the same commit does nothing',
    )
    .addHelpText(
      'after',
      "\nThe rules (approvers, gates, thresholds, durations) are the installation's, from the workers' config; the release records them.\nRe-running for a version in flight or promoted from the same commit starts nothing and exits 0.",
    )
    .action(async (version: string, o: { commit: string; requestedBy: string; ciRunId?: string; again?: boolean }) => {
      requireValid(versionProblem(version), commitProblem(o.commit), identityProblem(o.requestedBy));
      await startActions().startStandard(ctx, version, o);
    });

  program
    .command('hotfix')
    .description(
      'fast-track a hotfix to canary and production, skipping staging; needs two approvals from different approvers',
    )
    .argument('<version>', 'hotfix version, like v1.2.4')
    .option('--commit <sha>', 'commit of the hotfix (default: the tag, resolved by git)')
    .addOption(
      new Option(
        '--skip-staging',
        'required: acknowledges that staging and its soak are skipped',
      ).makeOptionMandatory(),
    )
    .option('--approver1 <identity>', 'first approver to ask (each confirms with "approve")')
    .option('--approver2 <identity>', 'second approver to ask')
    .option('--requested-by <identity>', 'who requests the hotfix (may not approve it)', defaultIdentity())
    .option('--ci-run-id <id>', 'CI run that built the hotfix')
    .action(
      async (
        version: string,
        o: { commit?: string; approver1?: string; approver2?: string; requestedBy: string; ciRunId?: string },
      ) => {
        requireValid(
          versionProblem(version),
          o.approver1 ? identityProblem(o.approver1) : null,
          o.approver2 ? identityProblem(o.approver2) : null,
        );
        if (Boolean(o.approver1) !== Boolean(o.approver2))
          throw new InvalidInputError(
            'name both --approver1 and --approver2, or neither (then any two approvers may approve)',
          );
        await startActions().startHotfix(ctx, version, o);
      },
    );

  program
    .command('request-canary')
    .description('ask the approvers to approve canary promotion of a release')
    .argument('<version>')
    .option('--requested-by <identity>', 'who asks', defaultIdentity())
    .action(async (version: string, o: { requestedBy: string }) => {
      requireValid(versionProblem(version), identityProblem(o.requestedBy));
      await decideActions().requestCanary(ctx, version, o);
    });

  program
    .command('approve')
    .description(
      "approve a release for canary (or a hotfix); needs the role the installation's policy names (RELEASE_APPROVER by default)",
    )
    .argument('<version>')
    .requiredOption('--approver <identity>', 'who approves, like @alice')
    .option('--not-before <time>', 'do not start the canary before this ISO time (a scheduled promotion)')
    .option('--note <text>', 'a note kept with the approval')
    .action(async (version: string, o: { approver: string; notBefore?: string; note?: string }) => {
      requireValid(
        versionProblem(version),
        identityProblem(o.approver),
        o.notBefore && Number.isNaN(Date.parse(o.notBefore)) ? `"${o.notBefore}" is not an ISO time` : null,
      );
      await decideActions().approve(ctx, version, o);
    });

  program
    .command('reject')
    .description('reject a release waiting for approval; it ends without reaching the canary')
    .argument('<version>')
    .requiredOption('--approver <identity>', 'who rejects')
    .requiredOption('--reason <text>', 'why')
    .action(async (version: string, o: { approver: string; reason: string }) => {
      requireValid(versionProblem(version), identityProblem(o.approver));
      await decideActions().reject(ctx, version, o);
    });

  for (const decision of ['resume', 'abort'] as const) {
    program
      .command(decision)
      .description(
        decision === 'resume'
          ? 'resume a paused canary (paused time does not count toward its minimum)'
          : 'roll back a paused canary',
      )
      .argument('<version>')
      .requiredOption('--approver <identity>', 'who decides (the role the policy names for resume or abort)')
      .option('--reason <text>', 'why')
      .action(async (version: string, o: { approver: string; reason?: string }) => {
        requireValid(versionProblem(version), identityProblem(o.approver));
        await decideActions().decidePause(ctx, version, decision, o);
      });
  }

  program
    .command('cancel')
    .description(
      'cancel a release; anything it deployed to production is undone first (needs the role the policy names for cancel)',
    )
    .argument('<version>')
    .option('--requested-by <identity>', 'who cancels', defaultIdentity())
    .option('--reason <text>', 'why')
    .action(async (version: string, o: { requestedBy: string; reason?: string }) => {
      requireValid(versionProblem(version), identityProblem(o.requestedBy));
      await decideActions().cancel(ctx, version, o);
    });

  program
    .command('status')
    .description("show a release's stage, gates, approvals, soak and canary")
    .argument('<version>')
    .option('--json', 'machine-readable output')
    .action(async (version: string, o: { json?: boolean }) => {
      requireValid(versionProblem(version));
      await statusActions().showStatus(ctx, version, o);
    });

  program
    .command('list')
    .description('list releases (newest first) with their stage')
    .option('--stage <stage>', 'only releases in this stage, like CANARY')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (o: { stage?: string; limit: string }) => {
      await statusActions().listReleases(ctx, o);
    });

  program
    .command('watch')
    .description('follow a release live until it ends (exit 0 when promoted)')
    .argument('<version>')
    .action(async (version: string) => {
      requireValid(versionProblem(version));
      await statusActions().watch(ctx, version);
    });
}
