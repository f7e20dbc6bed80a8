// Stage 1's requirements: CI checks, unit coverage, security findings and code review of the commit,
// gathered by an activity and decided by a pure function. Every release passes them, hotfixes too.
import { failedGatesSummary } from '../../shared/gates';
import { activities } from '../activity-proxies';
import type { ReleaseContext } from './context';
import { ReleaseEnded } from './ended';

/** Returns how many gates passed; a failure ends the release GATES_FAILED before `before`. */
export async function checkDevGates(ctx: ReleaseContext, before: string): Promise<number> {
  const s = ctx.status;
  ctx.details('checking dev gates');
  const gates = await activities('check', 'dev gates: CI, coverage, security, review').checkDevGates({
    version: s.version,
    commitSha: s.commitSha,
    policy: ctx.policy.devGates,
  });
  s.gates.push(...gates);
  for (const g of gates) await ctx.audit('gate', `${g.gate} ${g.passed ? 'passed' : 'failed'}: ${g.reason}`);
  const failed = failedGatesSummary(gates);
  if (failed) throw new ReleaseEnded('GATES_FAILED', `dev gates failed before ${before}: ${failed}`);
  return gates.length;
}
