// Errors people can act on: printed as one line with exit code 2 (bad input, or refused by the policy).
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}
