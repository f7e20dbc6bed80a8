// How a release ends early: a stage throws ReleaseEnded with the outcome and its one-line reason.
import type { ReleaseOutcome, ReleaseStatus } from '../../shared/release';

export class ReleaseEnded extends Error {
  constructor(
    readonly outcome: ReleaseOutcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The release was rejected (while waiting for approval, for an environment or for a scheduled start). */
export function rejected(status: ReleaseStatus): ReleaseEnded {
  const r = status.approval.rejection!;
  return new ReleaseEnded('REJECTED', `rejected by ${r.approver} via ${r.channel}: ${r.note ?? ''}`);
}
