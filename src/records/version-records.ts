// The exported copy of an environment's version records (the source of truth lives in the
// environment's ledger workflow). In the files store: written atomically, and never replaced by an
// older revision, so concurrent exporters and crashes leave the newest complete file.
import { join } from 'node:path';
import type { EnvironmentLedgerInput, EnvironmentRecords } from '../shared/ledger';
import { readJson, writeJsonAtomic } from './atomic-json';
import { withFileLock } from './file-lock';

export function versionRecordsPath(sotDir: string, environment: string): string {
  return join(sotDir, `${environment}.json`);
}

export async function exportVersionRecords(sotDir: string, records: EnvironmentRecords): Promise<boolean> {
  const path = versionRecordsPath(sotDir, records.environment);
  return withFileLock(path, () => {
    const existing = readJson<EnvironmentRecords>(path);
    if (existing && existing.revision >= records.revision) return false;
    writeJsonAtomic(path, {
      environment: records.environment,
      revision: records.revision,
      current: records.current,
      previous: records.previous,
    });
    return true;
  });
}

/**
 * The input of a ledger that has to be started: a ledger run that ended (terminated, reset) must not
 * forget the environment's versions, so a fresh one starts from the last export. While a ledger runs,
 * update-with-start ignores this input.
 */
export function ledgerStart(environment: string, exported: EnvironmentRecords | null): EnvironmentLedgerInput {
  return exported ? { environment, state: { ...exported, lease: null, queue: [] } } : { environment };
}
