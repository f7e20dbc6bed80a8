// Waiting for something a test cannot be told about directly (a stage reached, a line logged, a file
// written): one polling helper for every test, with one kind of timeout message.
import { setTimeout as delay } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Added to the timeout message (what the test saw last, a process's output). */
  describe?: () => string;
}

/**
 * Calls `probe` until it returns something other than undefined (or false), and returns that. A probe
 * that throws is "not yet"; on timeout the last error is part of the message.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError instanceof Error ? ` (last: ${lastError.message})` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last}${options.describe ? `\n${options.describe()}` : ''}`,
      );
    }
    await delay(options.intervalMs ?? 50);
  }
}
