// The audit trail out of the store: as the seed's files (one JSON-lines file per chain, in chain
// order, plus the policy log), and `audit verify`'s report, one line per chain.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditChainName, type StoredAuditEntry } from '../shared/audit';
import type { ChainReport } from './audit-chain';
import { POLICY_AUDIT_FILE, type PolicyChangeEntry } from './policy-log';

/** Writes each chain to <dir>/<chain>.jsonl (atomically) and the policy log; returns the paths. */
export function exportAuditTrail(dir: string, entries: StoredAuditEntry[], policy: PolicyChangeEntry[]): string[] {
  mkdirSync(dir, { recursive: true });
  const chains = new Map<string, StoredAuditEntry[]>();
  for (const e of entries) {
    const chain = auditChainName(e);
    chains.set(chain, [...(chains.get(chain) ?? []), e]);
  }
  const files = [...chains].map(([chain, list]) => ({ name: `${chain}.jsonl`, lines: list }));
  if (policy.length > 0) files.push({ name: POLICY_AUDIT_FILE, lines: policy as unknown as StoredAuditEntry[] });
  return files.map(({ name, lines }) => {
    const path = join(dir, name);
    const tmp = join(dir, `.${name}.export.tmp`);
    writeFileSync(tmp, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    renameSync(tmp, path);
    return path;
  });
}

export function renderChainReports(reports: ChainReport[]): string[] {
  return reports.map((r) => {
    const older = r.unchained ? ` (${r.unchained} older entries carry no hash: written before chaining)` : '';
    return r.broken
      ? `BROKEN  ${r.chain}: ${r.entries} entries; first broken link at position ${r.broken.position}: ${r.broken.problem}`
      : `ok      ${r.chain}: ${r.entries} entries, chain intact${older}`;
  });
}
