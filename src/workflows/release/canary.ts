// Stage 3: the release deployed as a canary beside the stable version, judged against the stable
// baseline for its minimum duration (canary-analysis.ts). Each change registers its undo first. The
// canary's pods are a capacity; its share of requests is set by the environment's router
// (canary-routing.ts).
import { approvedBy } from '../../shared/approval-rules';
import { canarySteps } from '../../shared/policy';
import { activities } from '../activity-proxies';
import { runCanary, type CanaryResult } from './canary-analysis';
import type { CanaryPosition } from '../../shared/carried-release';
import type { ReleaseContext } from './context';
import { ReleaseEnded } from './ended';
import { confirmStable } from './production';
import { checkRouting, routesTraffic, setCanaryWeight } from './canary-routing';

/**
 * Runs the canary; returns where it stands when a long pause hands it to a new run (null when it
 * passed). A continued run (`from`) registers the same undo steps and goes on from there.
 */
export async function canary(ctx: ReleaseContext, from: CanaryPosition | null): Promise<CanaryPosition | null> {
  const s = ctx.status;
  const { policy } = ctx;
  const production = policy.productionEnvironment;
  if (from) {
    undoCanary(ctx, production);
    if (ctx.routed) undoRouting(ctx, production);
    return judged(await runCanary(ctx, ctx.inbox, production, from));
  }
  await ctx.acquire(production, `${s.kind} ${s.version}: canary and production rollout`);
  const records = await activities('record', 'read production version records').environmentRecords({
    environment: production,
  });
  s.previousProductionVersion =
    records.current?.version ??
    (await activities('check', 'read running production version').currentStableVersion({ environment: production }));
  const steps = canarySteps(policy.canary);
  const weight = steps[0]!;
  const routed = (ctx.routed = routesTraffic(ctx));
  if (routed) await checkRouting(production, steps);

  await ctx.transition(
    'CANARY',
    steps.length > 1
      ? `deploying ${s.version} as a canary in ${production}, in steps of ${steps.map((w) => `${w}%`).join(' → ')}`
      : `deploying ${s.version} as a ${weight}% canary in ${production}`,
    { approvedBy: approvedBy(s.approval) },
  );
  undoCanary(ctx, production);
  await activities('deploy', `deploy ${s.version} canary`).deployCanary({
    environment: production,
    version: s.version,
    // Its pods are a capacity: enough for the largest step's share of the stable track's load.
    weightPercent: Math.max(...steps),
  });
  if (routed) {
    undoRouting(ctx, production);
    const split = await setCanaryWeight(ctx, production, weight);
    ctx.details(`canary weight set: ${split}`);
  }
  return judged(await runCanary(ctx, ctx.inbox, production));
}

function judged(result: CanaryResult): CanaryPosition | null {
  if ('carry' in result) return result.carry;
  if (!result.ok) throw new ReleaseEnded('ROLLED_BACK', result.reason);
  return null;
}

/** Undo runs newest first: remove the canary, then confirm the stable version still serves. */
function undoCanary(ctx: ReleaseContext, production: string): void {
  ctx.saga.add('confirm the stable version still serves', () =>
    confirmStable(production, ctx.status.previousProductionVersion),
  );
  ctx.saga.add('remove the canary', async () => {
    await activities('undo', 'remove canary').removeCanary({ environment: production });
    return `canary removed from ${production}`;
  });
}

/** Registered after the canary's pods: on undo no requests reach the canary before its pods are removed. */
function undoRouting(ctx: ReleaseContext, production: string): void {
  ctx.saga.add('send no requests to the canary', () => setCanaryWeight(ctx, production, 0, 'undo'));
}
