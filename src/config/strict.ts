// Config objects are strict: a key the schema does not know is an error that names it and suggests
// the nearest known key, because a silently ignored `minDurations` leaves the default in force.
import { z } from 'zod';

/** Separates "key<TAB>message" pairs in an unknown-keys issue, so the formatter prints one line per key. */
export const UNKNOWN_KEY_SEPARATOR = '\t';

export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${key}${UNKNOWN_KEY_SEPARATOR}${unknownKeyMessage(key, known)}`).join('\n')
        : undefined,
  });
}

export function unknownKeyMessage(key: string, known: string[]): string {
  const nearest = nearestKey(key, known);
  if (nearest !== null) return `unknown key; did you mean "${nearest}"?`;
  return known.length ? `unknown key (known here: ${known.join(', ')})` : 'unknown key (nothing may be set here)';
}

/** The known key closest to a typo, when it is close enough to be what was meant. */
export function nearestKey(key: string, known: string[]): string | null {
  let best: { key: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === null || distance < best.distance) best = { key: candidate, distance };
  }
  if (best === null) return null;
  return best.distance <= Math.max(2, Math.floor(best.key.length / 3)) ? best.key : null;
}

/** Levenshtein distance: a dozen lines, not worth a dependency. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
