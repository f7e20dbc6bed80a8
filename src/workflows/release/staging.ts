// Stage 1 → 2: the release deployed to staging once its dev gates pass, then staging's own gates
// (E2E, load, security scan) and the continuous healthy soak, with the approval that may come meanwhile.
import { approvalsComplete } from '../../shared/approval-rules';
import { rolesFor } from '../../shared/authorization';
import { formatDuration as formatMs } from '../../shared/duration-format';
import { failedGatesSummary, STAGING_SUITES } from '../../shared/gates';
import type { GateResult } from '../../shared/release';
import { activities } from '../activity-proxies';
import { waitForApprovals } from './approval';
import type { ReleaseContext } from './context';
import { checkDevGates, gateLine } from './dev-gates';
import { ReleaseEnded, rejected } from './ended';
import { soakStaging } from './staging-soak';

export async function deployToStaging(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const { policy } = ctx;
  const passed = await checkDevGates(ctx, 'staging');
  if (s.approval.rejection) throw rejected(s);

  await ctx.acquire(policy.stagingEnvironment, `${s.version}: staging deploy and soak`);
  await ctx.transition(
    'DEPLOYING_STAGING',
    `all ${passed} dev gates passed; deploying ${s.version} to ${policy.stagingEnvironment}`,
  );
  await activities('deploy', `deploy ${s.version} to staging`).deployStable({
    environment: policy.stagingEnvironment,
    version: s.version,
  });
  // Staging keeps version records too (what ran there, for `sot`, `verify` and `rollback staging`).
  // Patched: releases that ran before it must replay without this step.
  if (ctx.since('record-staging-version'))
    await ctx.recordPromotion(policy.stagingEnvironment, 'record staging version');
}

/** Staging's gates and soak; the release holds staging until it is approved, so approvers judge what runs there. */
export async function stagingSoakAndApproval(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const { policy } = ctx;
  await ctx.transition(
    'STAGING_SOAK',
    `${s.version} deployed to ${policy.stagingEnvironment}; soaking for ${formatMs(policy.soak.durationMs)} while E2E, load and security gates run`,
  );
  const release = { version: s.version, commitSha: s.commitSha, environment: policy.stagingEnvironment };
  const stagingGates: GateResult[] = [];
  // One activity per suite, one after another (a load test beside the E2E run would skew both), so
  // a suite's network error re-runs only that suite. Patched: releases started before ran all three in one.
  if (ctx.since('staging-suite-per-activity')) {
    for (const suite of STAGING_SUITES) {
      stagingGates.push(await activities('suite', `staging gate: ${suite}`).runStagingSuite({ ...release, suite }));
    }
  } else {
    stagingGates.push(
      ...(await activities('suites', 'staging gates: E2E, load, security scan').checkStagingGates(release)),
    );
  }
  s.gates.push(...stagingGates);
  await ctx.auditEach(stagingGates.map((g) => ({ action: 'gate', reason: gateLine(g) })));
  const failed = failedGatesSummary(stagingGates);
  if (failed) throw new ReleaseEnded('GATES_FAILED', `staging gates failed: ${failed}`);

  const soak = await soakStaging(ctx, policy.stagingEnvironment);
  if ('rejected' in soak) throw rejected(s);
  if (!soak.ok) throw new ReleaseEnded('SOAK_FAILED', soak.reason);
  ctx.setWaitingFor(null);
  if (!approvalsComplete(s.approval)) {
    await ctx.transition(
      'AWAITING_APPROVAL',
      `staging soak complete after ${s.soak.checks} health checks; waiting for ${rolesFor(policy.access, 'approve')}`,
      { notify: false },
    );
    if (s.approval.requestedAt === null)
      await ctx.requestApproval(
        s.requestedBy,
        `staging was healthy for ${formatMs(policy.soak.durationMs)}; canary promotion needs approval`,
      );
  }
  await waitForApprovals(ctx);
  await ctx.release(policy.stagingEnvironment);
}
