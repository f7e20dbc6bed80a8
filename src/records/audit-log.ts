// The files store's audit trail: one JSON object per line, one file per release (rollbacks share one
// file), each file one hash chain. Appends are exactly-once per idempotency key: under the file lock, a
// key already present is not written again (a retried activity), and a torn last line left by a
// crashed writer is cut off first.
import { existsSync, readFileSync, openSync, writeSync, fsyncSync, closeSync, truncateSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditFileName, concernsVersion, type AuditEntry, type StoredAuditEntry } from '../shared/audit';
import { withFileLock } from './file-lock';
import { chainEntry } from './audit-chain';
import type { AppendResult } from './store';

export type { AppendResult };

export async function appendAuditEntry(auditDir: string, entry: AuditEntry): Promise<AppendResult> {
  mkdirSync(auditDir, { recursive: true });
  const path = join(auditDir, auditFileName(entry));
  return withFileLock(path, () => {
    const lines = readCompleteLines(path);
    if (lines.some((line) => keyOf(line) === entry.key)) return { written: false };
    const last = lines.at(-1);
    const previous = last === undefined ? null : parseEntry(last);
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(chainEntry(entry, previous))}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { written: true };
  });
}

/** Complete lines of the file; a partial last line (a writer died mid-write) is removed from disk. */
function readCompleteLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  return text.slice(0, end).split('\n').filter(Boolean);
}

/** A line that is not JSON links nothing: `audit verify` names it as the break. */
function parseEntry(line: string): StoredAuditEntry | null {
  try {
    return JSON.parse(line) as StoredAuditEntry;
  } catch {
    return null;
  }
}

function keyOf(line: string): string | null {
  try {
    return (JSON.parse(line) as { key?: string }).key ?? null;
  } catch {
    return null;
  }
}

export function readAuditEntries(auditDir: string, version: string): StoredAuditEntry[] {
  const own = parseLines(join(auditDir, `${version}.jsonl`));
  // A manual rollback's entries name the version it restores (to_version, also its `version`) and the
  // one it replaces (from_version); both belong to those versions' trails, nothing merely mentioning them does.
  const rollbacks = parseLines(join(auditDir, 'rollbacks.jsonl')).filter((e) => concernsVersion(e, version));
  return inTimeOrder([...own, ...rollbacks]);
}

export function inTimeOrder<T extends AuditEntry>(entries: T[]): T[] {
  return entries.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.seq - b.seq);
}

/** The entries of a JSON-lines file; a line that is not JSON (a torn write) is skipped. */
export function parseLines<T = StoredAuditEntry>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    });
}
