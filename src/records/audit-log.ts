// The audit trail: one JSON object per line, one file per release (rollbacks share one file).
// Appends are exactly-once per idempotency key: under the file lock, a key already present is not
// written again (a retried activity), and a torn last line left by a crashed writer is cut off first.
import { existsSync, readFileSync, openSync, writeSync, fsyncSync, closeSync, truncateSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditFileName, type AuditEntry } from '../shared/audit';
import { withFileLock } from './file-lock';

export interface AppendResult {
  written: boolean;
}

export async function appendAuditEntry(auditDir: string, entry: AuditEntry): Promise<AppendResult> {
  mkdirSync(auditDir, { recursive: true });
  const path = join(auditDir, auditFileName(entry));
  return withFileLock(path, () => {
    const lines = readCompleteLines(path);
    if (lines.some((line) => keyOf(line) === entry.key)) return { written: false };
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
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

function keyOf(line: string): string | null {
  try {
    return (JSON.parse(line) as { key?: string }).key ?? null;
  } catch {
    return null;
  }
}

export function readAuditEntries(auditDir: string, version: string): AuditEntry[] {
  const own = parseLines(join(auditDir, `${version}.jsonl`));
  // A manual rollback's entries name the version it restores (to_version, also its `version`) and the
  // one it replaces (from_version); both belong to those versions' trails, nothing merely mentioning them does.
  const rollbacks = parseLines(join(auditDir, 'rollbacks.jsonl')).filter(
    (e) => e.version === version || e.from_version === version,
  );
  return [...own, ...rollbacks].sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.seq - b.seq);
}

/** The entries of a JSON-lines file; a line that is not JSON (a torn write) is skipped. */
export function parseLines<T = AuditEntry>(path: string): T[] {
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
