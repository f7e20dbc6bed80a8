// Commands over the records: the audit trail, the evidence files and the version records (SoT).
// The audit trail and evidence are read from the records store the config names (files or postgres).
// Declared here; the actions load their modules when they run (src/client/lazy.ts).
import type { Command } from 'commander';
import { versionProblem } from '../../shared/identifiers';
import { requireValid, defaultIdentity, type CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as Audit from '../actions/audit';
import type * as Records from '../actions/records';

const auditActions = () => lazy<typeof Audit>(require, '../actions/audit');
const actions = () => lazy<typeof Records>(require, '../actions/records');

export function registerRecordsCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description("the audit trail: print a release's entries, verify the hash chains, export the files")
    .addHelpText(
      'after',
      "\nExamples:\n  release-promote audit v1.2.3            one JSON object per action\n  release-promote audit verify            every chain; exit 1 at the first broken link\n  release-promote audit verify v1.2.3     the version's chain and the rollbacks' chain\n  release-promote audit export --dir operational_audit/releases",
    );
  audit
    .command('show <version>', { isDefault: true })
    .description("print a release's audit trail (one JSON object per action), from the records store")
    .action(async (version: string) => {
      requireValid(versionProblem(version));
      await auditActions().showAudit(ctx, version);
    });
  audit
    .command('verify [version]')
    .description(
      "recompute the hash chains of the audit trail (a version's and the rollbacks', or all) and name the first broken link; exit 1 when one is broken",
    )
    .action(async (version: string | undefined) => {
      if (version !== undefined) requireValid(versionProblem(version));
      await auditActions().verifyAudit(ctx, version);
    });
  audit
    .command('export')
    .description(
      "write the store's audit trail as operational_audit/releases/<version>.jsonl, rollbacks.jsonl and policy.jsonl",
    )
    .option('--dir <dir>', 'where (default: records.auditDir of the config)')
    .action(async (o: { dir?: string }) => {
      await auditActions().exportAudit(ctx, o);
    });

  program
    .command('collect-evidence')
    .description(
      'write TEST/release/<version>/{promotion.log,metrics.json,approval.json} from the records store (or, for a release it holds no evidence of, from the release workflow)',
    )
    .argument('<version>')
    .option(
      '--run <run-id>',
      "an earlier run of the version (default: its latest); each run's files are kept in runs/<run id>/",
    )
    .action(async (version: string, o: { run?: string }) => {
      requireValid(versionProblem(version));
      await actions().collectEvidence(ctx, version, o);
    });

  program
    .command('sot')
    .description('show the version records: what runs in each environment, and what ran before')
    .argument('[environment]')
    .option('--json', 'machine-readable output')
    .action(async (environment: string | undefined, o: { json?: boolean }) => {
      await actions().showVersionRecords(ctx, environment, o);
    });

  program
    .command('update-sot')
    .description("record by hand that a version runs in an environment (the seed's manual SoT step)")
    .argument('<version>')
    .requiredOption('--environment <name>')
    .option(
      '--promoted-by <identity>',
      'who records it (needs the role the policy names for update-sot)',
      defaultIdentity(),
    )
    .option('--promotion-time <iso>', 'when (default now)')
    .action(async (version: string, o: { environment: string; promotedBy: string; promotionTime?: string }) => {
      await actions().updateVersionRecords(ctx, version, o);
    });
}
