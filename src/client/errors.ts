// Errors people can act on: printed as one line with exit code 2 (bad input, or refused by the policy).
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** Nothing answered: no worker polls the task queue (exit 1: a failure, not a bad input). */
export class NoWorkerError extends Error {
  override name = 'NoWorkerError';
}
