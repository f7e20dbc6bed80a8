// Tamper evidence for the audit trail: each entry carries the hash of the entry before it in its
// chain (one chain per release version, one for the environment's rollbacks) and its own hash over
// its content. Editing an entry breaks its own hash; deleting or reordering one breaks the link of
// the entry after it. Both stores chain the same way, so `audit verify` is one function.
import { createHash } from 'node:crypto';
import type { AuditEntry, StoredAuditEntry } from '../shared/audit';
import { canonicalJson } from '../shared/canonical-json';

/** The hash of an entry: sha256 over its canonical JSON, its own `hash` left out. */
export function entryHash(entry: AuditEntry & { prev_hash: string | null }): string {
  const { hash: _ignored, ...content } = entry as StoredAuditEntry;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/** The entry as it is stored after `previous` (null: the first of its chain). */
export function chainEntry(entry: AuditEntry, previous: StoredAuditEntry | null): StoredAuditEntry {
  const { prev_hash: _p, hash: _h, ...plain } = entry as StoredAuditEntry;
  const linked = { ...plain, prev_hash: previous?.hash ?? null };
  return { ...linked, hash: entryHash(linked) };
}

export interface ChainBreak {
  /** 1-based position of the first entry that does not verify, in stored order. */
  position: number;
  key: string;
  problem: string;
}

export interface ChainReport {
  chain: string;
  entries: number;
  /** Entries at the start of the chain written before tamper evidence existed (no hash): not verifiable. */
  unchained: number;
  broken: ChainBreak | null;
}

/**
 * Recomputes a chain in stored order and names its first broken link. `positions`, when the store
 * numbers entries (PostgreSQL), lets a deleted entry be named as a gap rather than a bad link.
 */
export function verifyChain(
  chain: string,
  entries: readonly StoredAuditEntry[],
  positions?: readonly number[],
): ChainReport {
  let unchained = 0;
  let previous: StoredAuditEntry | null = null;
  for (const [i, entry] of entries.entries()) {
    const position = positions?.[i] ?? i + 1;
    const at = (problem: string): ChainReport => ({
      chain,
      entries: entries.length,
      unchained,
      broken: { position, key: entry.key, problem },
    });
    if (entry.hash === undefined) {
      if (previous === null && i === unchained) {
        unchained++;
        continue;
      }
      return at(`entry ${entry.key} has no hash after chained entries: it was inserted or rewritten without one`);
    }
    if (positions && i > 0 && position !== (positions[i - 1] ?? 0) + 1)
      return at(`entries ${(positions[i - 1] ?? 0) + 1}..${position - 1} before ${entry.key} are missing (deleted)`);
    const expected = entryHash({ ...entry, prev_hash: entry.prev_hash ?? null });
    if (expected !== entry.hash)
      return at(
        `entry ${entry.key} (${entry.action} at ${entry.timestamp}) was altered: its content no longer matches its hash`,
      );
    const link = previous?.hash ?? null;
    if ((entry.prev_hash ?? null) !== link)
      return at(
        previous
          ? `entry ${entry.key} does not follow ${previous.key}: an entry between them was deleted, or the entries were reordered`
          : `entry ${entry.key} is first but links to an earlier entry: the entries before it were deleted or reordered`,
      );
    previous = entry;
  }
  return { chain, entries: entries.length, unchained, broken: null };
}
