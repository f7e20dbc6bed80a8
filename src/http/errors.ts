// One-line descriptions of HTTP failures for error messages, shared by the HTTP integrations.
import { AxiosError } from 'axios';

/** A network failure in words: a timeout names the setting that bounds it. */
export function describeNetworkError(err: unknown, timeoutMs?: number, timeoutSetting?: string): string {
  if (err instanceof AxiosError) {
    if (timeoutMs !== undefined && (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT')) {
      return `no answer within ${timeoutMs} ms${timeoutSetting ? ` (${timeoutSetting})` : ''}`;
    }
    return err.code === undefined ? err.message : `${err.code}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The start of a response body, on one line. */
export function snippet(text: string): string {
  const line = oneLine(text);
  if (line === '') return '(empty body)';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
