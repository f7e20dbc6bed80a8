// Commands over the records: the audit trail, the evidence files and the version records (SoT).
// The audit trail and evidence are read from the records store the config names (files or postgres).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EVIDENCE_FILE_NAMES, renderEvidence, writeEvidenceFiles } from '../../records/evidence';
import { exportAuditTrail, renderChainReports } from '../../records/audit-export';
import { statusQuery } from '../../shared/messages';
import type { EnvironmentRecords } from '../../shared/ledger';
import { readEnvironmentRecords } from '../../workflow-api';
import { versionProblem } from '../../shared/identifiers';
import { findReleaseHandle, findRun } from '../releases';
import { requireValid, defaultIdentity, type CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';
import { recordVersionByHand } from '../start-rollback';

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
      const store = ctx.records();
      const entries = await store.auditEntries(version);
      if (entries.length === 0) throw new InvalidInputError(`no audit entries for ${version} in ${store.description}`);
      for (const e of entries) ctx.out(JSON.stringify(e));
    });
  audit
    .command('verify [version]')
    .description(
      "recompute the hash chains of the audit trail (a version's and the rollbacks', or all) and name the first broken link; exit 1 when one is broken",
    )
    .action(async (version: string | undefined) => {
      if (version !== undefined) requireValid(versionProblem(version));
      const store = ctx.records();
      const reports = await store.verifyAudit(version);
      if (reports.length === 0)
        throw new InvalidInputError(`no audit entries${version ? ` for ${version}` : ''} in ${store.description}`);
      for (const line of renderChainReports(reports)) ctx.out(line);
      if (reports.some((r) => r.broken)) ctx.exitCode = 1;
    });
  audit
    .command('export')
    .description(
      "write the store's audit trail as operational_audit/releases/<version>.jsonl, rollbacks.jsonl and policy.jsonl",
    )
    .option('--dir <dir>', 'where (default: records.auditDir of the config)')
    .action(async (o: { dir?: string }) => {
      const config = ctx.config();
      const dir = resolve(o.dir ?? config.records.auditDir);
      const store = ctx.records();
      if (store.kind === 'files' && dir === resolve(config.records.auditDir))
        throw new InvalidInputError(
          `the files store already keeps the audit trail in ${dir}: export to another directory with --dir`,
        );
      const written = exportAuditTrail(dir, await store.allAuditEntries(), await store.policyLog());
      for (const file of written) ctx.out(file);
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
      const config = ctx.config();
      const store = ctx.records();
      const evidenceDir = resolve(config.records.evidenceDir);
      const kept = await store.evidence(version, o.run);
      let dir: string;
      if (kept) {
        const latest = o.run === undefined || (await store.evidence(version))?.runId === kept.runId;
        dir = writeEvidenceFiles(evidenceDir, version, kept.runId, kept.files, latest);
        ctx.err(
          `from ${store.description}: run ${kept.runId}${kept.revision ? `, revision ${kept.revision}` : ''}, written ${kept.writtenAt}`,
        );
      } else {
        const { client } = await ctx.client();
        const latest = await findReleaseHandle(client, version);
        const handle = o.run ? await findRun(client, version, o.run) : latest;
        const status = await handle.query(statusQuery);
        const isLatest = o.run === undefined || status.runId === (await latest.describe()).runId;
        const files = renderEvidence(status, await store.auditEntries(version));
        dir = writeEvidenceFiles(evidenceDir, version, status.runId, files, isLatest);
        ctx.err(
          `from the workflow ${handle.workflowId} run ${status.runId} (${store.description} holds no evidence of it)`,
        );
      }
      for (const f of EVIDENCE_FILE_NAMES) ctx.out(`${dir}/${f}`);
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
