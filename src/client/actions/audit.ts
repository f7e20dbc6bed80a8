// `audit`: the audit trail in the records store (files or postgres, opened by the context on first
// use). Loaded when the command runs (src/client/lazy.ts); no Temporal.
import { resolve } from 'node:path';
import { exportAuditTrail, renderChainReports } from '../../records/audit-export';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';

export async function showAudit(ctx: CliContext, version: string): Promise<void> {
  const store = ctx.records();
  const entries = await store.auditEntries(version);
  if (entries.length === 0) throw new InvalidInputError(`no audit entries for ${version} in ${store.description}`);
  for (const e of entries) ctx.out(JSON.stringify(e));
}

export async function verifyAudit(ctx: CliContext, version: string | undefined): Promise<void> {
  const store = ctx.records();
  const reports = await store.verifyAudit(version);
  if (reports.length === 0)
    throw new InvalidInputError(`no audit entries${version ? ` for ${version}` : ''} in ${store.description}`);
  for (const line of renderChainReports(reports)) ctx.out(line);
  if (reports.some((r) => r.broken)) ctx.exitCode = 1;
}

export async function exportAudit(ctx: CliContext, o: { dir?: string }): Promise<void> {
  const config = ctx.config();
  const dir = resolve(o.dir ?? config.records.auditDir);
  const store = ctx.records();
  if (store.kind === 'files' && dir === resolve(config.records.auditDir))
    throw new InvalidInputError(
      `the files store already keeps the audit trail in ${dir}: export to another directory with --dir`,
    );
  const written = exportAuditTrail(dir, await store.allAuditEntries(), await store.policyLog());
  for (const file of written) ctx.out(file);
}
