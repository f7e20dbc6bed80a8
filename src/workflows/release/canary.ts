// Stage 3: the release deployed as a canary beside the stable version, judged against the stable
// baseline for its minimum duration (canary-analysis.ts). Each change registers its undo first. The
// canary's pods are a capacity; its share of requests is set by the environment's router
// (canary-routing.ts).
import { approvedBy } from '../../shared/approval-rules';
import { canarySteps } from '../../shared/policy';
import { activities } from '../activity-proxies';
import { runCanary } from './canary-analysis';
import type { ReleaseContext } from './context';
import { ReleaseEnded } from './ended';
import { confirmStable } from './production';
import { checkRouting, routesTraffic, setCanaryWeight } from './canary-routing';

export async function canary(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const { policy, saga } = ctx;
  const production = policy.productionEnvironment;
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
  // Undo runs newest first: remove the canary, then confirm the stable version still serves.
  saga.add('confirm the stable version still serves', () => confirmStable(production, s.previousProductionVersion));
  saga.add('remove the canary', async () => {
    await activities('undo', 'remove canary').removeCanary({ environment: production });
    return `canary removed from ${production}`;
  });
  await activities('deploy', `deploy ${s.version} canary`).deployCanary({
    environment: production,
    version: s.version,
    // Its pods are a capacity: enough for the largest step's share of the stable track's load.
    weightPercent: Math.max(...steps),
  });
  if (routed) {
    // Newest first on undo: no requests reach the canary before its pods are removed.
    saga.add('send no requests to the canary', () => setCanaryWeight(ctx, production, 0, 'undo'));
    const split = await setCanaryWeight(ctx, production, weight);
    ctx.details(`canary weight set: ${split}`);
  }
  const result = await runCanary(ctx, ctx.inbox, production);
  if (!result.ok) throw new ReleaseEnded('ROLLED_BACK', result.reason);
}
