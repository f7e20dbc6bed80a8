// Commands over the records: the audit trail, the evidence files and the version records (SoT).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readAuditEntries } from '../../records/audit-log';
import { renderEvidence, writeEvidenceFiles } from '../../records/evidence';
import { statusQuery } from '../../shared/messages';
import type { EnvironmentRecords } from '../../shared/ledger';
import { readEnvironmentRecords } from '../../workflow-api';
import { versionProblem } from '../../shared/identifiers';
import { findReleaseHandle, findRun } from '../releases';
import { requireValid, defaultIdentity, type CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';
import { recordVersionByHand } from '../start-rollback';

export function registerRecordsCommands(program: Command, ctx: CliContext): void {
  program
    .command('audit')
    .description("print a release's audit trail (one JSON object per action)")
    .argument('<version>')
    .action((version: string) => {
      requireValid(versionProblem(version));
      const entries = readAuditEntries(resolve(ctx.config().records.auditDir), version);
      if (entries.length === 0)
        throw new InvalidInputError(`no audit entries for ${version} in ${ctx.config().records.auditDir}`);
      for (const e of entries) ctx.out(JSON.stringify(e));
    });

  program
    .command('collect-evidence')
    .description(
      'regenerate TEST/release/<version>/{promotion.log,metrics.json,approval.json} from the release workflow',
    )
    .argument('<version>')
    .option(
      '--run <run-id>',
      "an earlier run of the version (default: its latest); each run's files are kept in runs/<run id>/",
    )
    .action(async (version: string, o: { run?: string }) => {
      requireValid(versionProblem(version));
      const { client } = await ctx.client();
      const latest = await findReleaseHandle(client, version);
      const handle = o.run ? await findRun(client, version, o.run) : latest;
      const status = await handle.query(statusQuery);
      const config = ctx.config();
      const isLatest = o.run === undefined || status.runId === (await latest.describe()).runId;
      const files = renderEvidence(status, readAuditEntries(resolve(config.records.auditDir), version));
      const dir = writeEvidenceFiles(resolve(config.records.evidenceDir), version, status.runId, files, isLatest);
      for (const f of ['promotion.log', 'metrics.json', 'approval.json']) ctx.out(`${dir}/${f}`);
    });

  program
    .command('sot')
    .description('show the version records: what runs in each environment, and what ran before')
    .argument('[environment]')
    .option('--json', 'machine-readable output')
    .action(async (environment: string | undefined, o: { json?: boolean }) => {
      const config = ctx.config();
      const names = environment ? [environment] : Object.keys(config.environments);
      if (environment && !(environment in config.environments))
        throw new InvalidInputError(
          `unknown environment "${environment}" (known: ${Object.keys(config.environments).join(', ')})`,
        );
      const { client } = await ctx.client();
      const all: EnvironmentRecords[] = [];
      for (const name of names) {
        all.push(
          await readEnvironmentRecords(client, name, config.temporal.taskQueue).catch((err: Error) => {
            throw new InvalidInputError(
              `could not read the version records of ${name} (${err.message}): is a worker running on task queue "${config.temporal.taskQueue}"?`,
            );
          }),
        );
      }
      if (o.json) return ctx.out(JSON.stringify(all, null, 2));
      for (const r of all) {
        ctx.out(
          `${r.environment}: ${r.current ? `${r.current.version} (${r.current.action} by ${r.current.promotedBy} at ${r.current.promotedAt})` : 'no recorded version'}`,
        );
        for (const p of r.previous.slice(0, 5))
          ctx.out(`  before: ${p.version} (${p.action} by ${p.promotedBy} at ${p.promotedAt})`);
        if (r.blocked)
          ctx.out(
            `  BLOCKED since ${r.blocked.since} by ${r.blocked.workflowId}: ${r.blocked.reason} — repair with "release-promote rollback ${r.environment}" (or record what runs with update-sot)`,
          );
        if (r.lease) ctx.out(`  held by ${r.lease.workflowId}: ${r.lease.purpose}`);
        for (const [i, q] of r.queue.entries()) ctx.out(`  queued ${i + 1}: ${q.workflowId} (${q.purpose})`);
      }
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
      const { client } = await ctx.client();
      const result = await recordVersionByHand(client, ctx.config(), {
        environment: o.environment,
        version,
        promotedBy: o.promotedBy,
        promotedAt: o.promotionTime ?? new Date().toISOString(),
        channel: 'cli',
      });
      ctx.out(result.reason);
    });
}
