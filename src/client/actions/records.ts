// The evidence files and the version records (SoT), from the records store (the config's, opened by
// the context on first use) or from the workflows. Loaded when one of the commands runs
// (src/client/lazy.ts).
import { resolve } from 'node:path';
import { EVIDENCE_FILE_NAMES, renderEvidence, writeEvidenceFiles } from '../../records/evidence';
import { statusQuery } from '../../shared/messages';
import type { EnvironmentRecords } from '../../shared/ledger';
import { readEnvironmentRecords } from '../../workflow-api';
import { findReleaseHandle, findRun } from '../releases';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';
import { recordVersionByHand } from '../start-rollback';

export async function collectEvidence(ctx: CliContext, version: string, o: { run?: string }): Promise<void> {
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
}

export async function showVersionRecords(
  ctx: CliContext,
  environment: string | undefined,
  o: { json?: boolean },
): Promise<void> {
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
}

export async function updateVersionRecords(
  ctx: CliContext,
  version: string,
  o: { environment: string; promotedBy: string; promotionTime?: string },
): Promise<void> {
  const { client } = await ctx.client();
  const result = await recordVersionByHand(client, ctx.config(), {
    environment: o.environment,
    version,
    promotedBy: o.promotedBy,
    promotedAt: o.promotionTime ?? new Date().toISOString(),
    channel: 'cli',
  });
  ctx.out(result.reason);
}
