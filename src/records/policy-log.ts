// The policy's own audit trail, operational_audit/releases/policy.jsonl: one line each time a worker
// starts with rules that differ from the last ones recorded (who changed the config, where it was
// reviewed, when it took effect, the digests before and after). Several workers starting with the
// same config write one line between them: the file lock serializes them and the digest is compared.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseLines } from './audit-log';
import { withFileLock } from './file-lock';

export const POLICY_AUDIT_FILE = 'policy.jsonl';

export interface PolicyChangeEntry {
  timestamp: string;
  action: 'policy_change';
  digest: string;
  previous_digest: string | null;
  /** From the config's `change.by`: who made this version of the config (null when it does not say). */
  changed_by: string | null;
  reference: string | null;
  /** The config file the worker read, and which worker noticed the change first. */
  config_file: string;
  worker: string;
}

export async function recordPolicyInForce(
  auditDir: string,
  entry: Omit<PolicyChangeEntry, 'action' | 'previous_digest'>,
): Promise<PolicyChangeEntry | null> {
  mkdirSync(auditDir, { recursive: true });
  const path = join(auditDir, POLICY_AUDIT_FILE);
  return withFileLock(path, () => {
    const last = readPolicyLog(auditDir).at(-1) ?? null;
    if (last?.digest === entry.digest) return null;
    const line: PolicyChangeEntry = { ...entry, action: 'policy_change', previous_digest: last?.digest ?? null };
    appendFileSync(path, `${JSON.stringify(line)}\n`);
    return line;
  });
}

export function readPolicyLog(auditDir: string): PolicyChangeEntry[] {
  return parseLines<PolicyChangeEntry>(join(auditDir, POLICY_AUDIT_FILE));
}
