// Stage 1's requirements: CI checks, unit coverage, security findings and code review of the commit,
// gathered by an activity and decided by a pure function. Every release passes them, hotfixes too.
import { failedGatesSummary } from '../../shared/gates';
import { activities, localFirst } from '../activity-proxies';
import type { GateResult } from '../../shared/release';
import type { ReleaseContext } from './context';
import { ReleaseEnded } from './ended';

/** Returns how many gates passed; a failure ends the release GATES_FAILED before `before`. */
export async function checkDevGates(ctx: ReleaseContext, before: string): Promise<number> {
  const s = ctx.status;
  ctx.details('checking dev gates');
  const input = { version: s.version, commitSha: s.commitSha, policy: ctx.policy.devGates };
  const summary = 'dev gates: CI, coverage, security, review';
  // Reads with no side effects, normally quick: a lean run tries them inside the workflow task.
  const gates = ctx.lean
    ? await localFirst('check', summary, (a) => a.checkDevGates(input))
    : await activities('check', summary).checkDevGates(input);
  s.gates.push(...gates);
  await ctx.auditEach(gates.map((g) => ({ action: 'gate', reason: gateLine(g) })));
  const failed = failedGatesSummary(gates);
  if (failed) throw new ReleaseEnded('GATES_FAILED', `dev gates failed before ${before}: ${failed}`);
  return gates.length;
}

export function gateLine(g: GateResult): string {
  return `${g.gate} ${g.passed ? 'passed' : 'failed'}: ${g.reason}`;
}
