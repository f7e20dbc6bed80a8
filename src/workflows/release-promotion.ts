// One durable workflow per release (release-<version>, or hotfix-<version> for the fast track) that
// carries it Dev → Staging → Canary (10%) → Production as RELEASE-PROMOTE.md describes, with gates,
// human approval, automatic rollback and an audit trail. Hotfixes skip staging and its soak (not the
// dev gates) but need two distinct approvers; from the canary on both paths are the same. This file
// is the table of contents: each stage is a function of its own under release/.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  makeContinueAsNewFunc,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { statusQuery } from '../shared/messages';
import { releaseStartProblem } from '../shared/admission-rules';
import type { ReleaseResult } from '../shared/release';
import type { CanaryPosition, CarriedRelease, ReleaseRunInput } from '../shared/carried-release';
import { AdmissionGate, obtainPolicy } from './admission';
import { hotfixGatesAndApprovals, waitUntilNotBefore } from './release/approval';
import { canary } from './release/canary';
import { ReleaseContext } from './release/context';
import { installHandlers } from './release/handlers';
import { admittedMessage, endAfterFailure, refuse, resultOf, started } from './release/outcome';
import { productionRollout } from './release/production';
import { deployToStaging, stagingSoakAndApproval } from './release/staging';

export async function releasePromotion(input: ReleaseRunInput): Promise<ReleaseResult> {
  // First, before any await: the starter's admission update must find its handler, and a status
  // query that comes before the policy is read gets an answer that says so.
  const admission = new AdmissionGate();
  setHandler(statusQuery, () => {
    throw new Error(`${input.version} is starting: its worker is reading the installation's policy`);
  });
  const carried = carriedInto(input);
  // A continued run keeps the policy its release started under.
  const installed = carried
    ? { policy: carried.status.policy, digest: carried.status.policyDigest }
    : await obtainPolicy(input.policy);
  const ctx = new ReleaseContext(input, installed.policy, installed.digest, carried);
  if (!carried) {
    const refusal = releaseStartProblem(input, installed.policy);
    if (refusal !== null) return await refuse(ctx, admission, refusal);
  }
  installHandlers(ctx);
  if (!carried) admission.admit(installed, admittedMessage(ctx));
  // A cancellation accepted while the earlier run handed over is carried out here.
  if (carried?.cancel) ctx.main.cancel();

  let handOver: CanaryPosition | null = null;
  try {
    await ctx.main.run(async () => {
      if (!carried) {
        await started(ctx);
        if (input.kind === 'standard') {
          await deployToStaging(ctx); // Stage 1: Dev → Staging, after the dev gates
          await stagingSoakAndApproval(ctx); // Stage 2: Staging → Canary, soak, gates and approval
        } else {
          await hotfixGatesAndApprovals(ctx); // the fast track: dev gates and two approvals
        }
        await waitUntilNotBefore(ctx);
      }
      handOver = await canary(ctx, carried?.canary ?? null); // Stage 3: Canary → Production
      if (handOver === null) await productionRollout(ctx);
    });
  } catch (err) {
    await CancellationScope.nonCancellable(() => endAfterFailure(ctx, err));
  } finally {
    // A release handing over to its next run keeps its environments: the lease is the workflow ID's.
    if (handOver === null) await CancellationScope.nonCancellable(() => ctx.releaseAll());
  }
  await CancellationScope.nonCancellable(() => ctx.settled());
  // No update handler is cut off by the end (in a scope a cancelled release can still wait in).
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  if (handOver !== null) {
    const position: CanaryPosition = handOver;
    log.info(`continuing as new in CANARY_PAUSED after ${workflowInfo().historyLength} events`);
    // Built last, so a decision accepted during the hand-over goes with it.
    await makeContinueAsNewFunc<typeof releasePromotion>({
      typedSearchAttributes: workflowInfo().typedSearchAttributes,
    })({ ...input, carried: ctx.carry(position) });
  }
  return resultOf(ctx);
}

/** What an earlier run of this release carried, only when Temporal says this run continued from one. */
function carriedInto(input: ReleaseRunInput): CarriedRelease | null {
  if (!input.carried) return null;
  if (!workflowInfo().continuedFromExecutionRunId)
    throw ApplicationFailure.nonRetryable('a release may not be started with carried state', 'Refused');
  return input.carried;
}

/** The hotfix fast track: the same workflow with kind "hotfix" (ID hotfix-<version>). */
export async function hotfixPromotion(input: ReleaseRunInput): Promise<ReleaseResult> {
  return releasePromotion({ ...input, kind: 'hotfix' });
}
