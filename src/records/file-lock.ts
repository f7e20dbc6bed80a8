// A lock file next to a shared file (O_EXCL create), so writers in several worker processes on a
// shared volume take turns. A lock older than the stale limit belonged to a worker that died.
import { openSync, closeSync, unlinkSync, statSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const STALE_MS = 30_000;

export async function withFileLock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const lock = `${path}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (isStale(lock)) {
        try {
          unlinkSync(lock);
        } catch {
          // Another writer removed it first.
        }
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`could not lock ${path} within ${timeoutMs} ms (held by another writer: ${lock})`);
      await delay(25);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Already removed as stale by another writer; nothing to release.
    }
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
