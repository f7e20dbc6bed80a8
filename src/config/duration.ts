// Durations in config are written the way people say them: "2h", "30m", "90s", "1h30m".
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/;

export function parseDuration(text: string): number | null {
  if (!WHOLE.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

/** A duration like "2h" or "30m", parsed to milliseconds. */
export const durationMs = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `${issue.input} is a number, not a duration: write it with its unit, like 2h, 30m, 90s or 1h30m (quotes are not needed in YAML)`
        : undefined,
  })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration: expected a number with a unit, like 2h, 30m, 90s or 1h30m`,
      });
      return z.NEVER;
    }
    return ms;
  });
