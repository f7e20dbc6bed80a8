// One durable workflow per release (release-<version>, or hotfix-<version> for the fast track) that
// carries it Dev → Staging → Canary (10%) → Production as RELEASE-PROMOTE.md describes, with gates,
// human approval, automatic rollback and an audit trail. Hotfixes skip staging and its soak (not the
// dev gates) but need two distinct approvers; from the canary on both paths are the same. This file
// is the table of contents: each stage is a function of its own under release/.
import { allHandlersFinished, CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { statusQuery } from '../shared/messages';
import { releaseStartProblem } from '../shared/admission-rules';
import type { ReleaseInput, ReleaseResult } from '../shared/release';
import { AdmissionGate, obtainPolicy } from './admission';
import { hotfixGatesAndApprovals, waitUntilNotBefore } from './release/approval';
import { canary } from './release/canary';
import { ReleaseContext } from './release/context';
import { installHandlers } from './release/handlers';
import { admittedMessage, endAfterFailure, refuse, resultOf, started } from './release/outcome';
import { productionRollout } from './release/production';
import { deployToStaging, stagingSoakAndApproval } from './release/staging';

export async function releasePromotion(input: ReleaseInput): Promise<ReleaseResult> {
  // First, before any await: the starter's admission update must find its handler, and a status
  // query that comes before the policy is read gets an answer that says so.
  const admission = new AdmissionGate();
  setHandler(statusQuery, () => {
    throw new Error(`${input.version} is starting: its worker is reading the installation's policy`);
  });
  const installed = await obtainPolicy(input.policy);
  const ctx = new ReleaseContext(input, installed.policy, installed.digest);
  const refusal = releaseStartProblem(input, installed.policy);
  if (refusal !== null) return await refuse(ctx, admission, refusal);
  installHandlers(ctx);
  admission.admit(installed, admittedMessage(ctx));

  try {
    await ctx.main.run(async () => {
      await started(ctx);
      if (input.kind === 'standard') {
        await deployToStaging(ctx); // Stage 1: Dev → Staging, after the dev gates
        await stagingSoakAndApproval(ctx); // Stage 2: Staging → Canary, soak, gates and approval
      } else {
        await hotfixGatesAndApprovals(ctx); // the fast track: dev gates and two approvals
      }
      await waitUntilNotBefore(ctx);
      await canary(ctx); // Stage 3: Canary → Production
      await productionRollout(ctx);
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() => endAfterFailure(ctx, err));
  } finally {
    await CancellationScope.nonCancellable(() => ctx.releaseAll());
  }
  await CancellationScope.nonCancellable(() => ctx.settled());
  // No update handler is cut off by the end (in a scope a cancelled release can still wait in).
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return resultOf(ctx);
}

/** The hotfix fast track: the same workflow with kind "hotfix" (ID hotfix-<version>). */
export async function hotfixPromotion(input: ReleaseInput): Promise<ReleaseResult> {
  return releasePromotion({ ...input, kind: 'hotfix' });
}
