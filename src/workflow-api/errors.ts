// Temporal could not be reached: its own module, so the CLI can recognise it (one line, exit 2)
// without loading the Temporal client, which only the commands that connect need.
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}
