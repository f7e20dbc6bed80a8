// Errors people can act on: printed as one line with exit code 2 (bad input, or refused by the policy).
// Free of imports, so the CLI recognises them without loading what the command that threw them used.
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** Nothing answered: no worker polls the task queue (exit 1: a failure, not a bad input). */
export class NoWorkerError extends Error {
  override name = 'NoWorkerError';
}

/** No release or hotfix of the version exists (exit 2). */
export class ReleaseNotFoundError extends Error {
  override name = 'ReleaseNotFoundError';
}

/** A decision sent to a release that has ended: exit 2 with its outcome, not a Temporal error. */
export class ReleaseEndedError extends Error {
  override name = 'ReleaseEndedError';
}
