// Stage 3's end: the full production rollout, automatic after the canary's success, verified and
// recorded; its undo restores the version that served before.
import { formatDuration as formatMs } from '../../shared/duration-format';
import { activities } from '../activity-proxies';
import type { ReleaseContext } from './context';
import { setCanaryWeight } from './canary-routing';

export async function productionRollout(ctx: ReleaseContext): Promise<void> {
  const s = ctx.status;
  const production = ctx.policy.productionEnvironment;
  await ctx.transition(
    'PRODUCTION_ROLLOUT',
    `canary passed ${formatMs(s.canary.elapsedMs)} of analysis: ${s.canary.evaluations.at(-1)?.reason ?? ''}`,
  );
  const previous = s.previousProductionVersion;
  // Verified by the first undo step, which runs last: after the canary is gone too.
  ctx.saga.add(`restore ${previous ?? 'the previous version'} in ${production}`, async () => {
    if (previous === null)
      throw new Error(`no previous production version is recorded for ${production}; restore it manually`);
    await activities('undo', `restore ${previous}`).deployStable({ environment: production, version: previous });
    return `${previous} redeployed to ${production}`;
  });
  await activities('deploy', `roll out ${s.version} to production`).deployStable({
    environment: production,
    version: s.version,
  });
  // Stable now runs the new version too; the canary gets no requests before its pods go.
  if (ctx.routed) await setCanaryWeight(ctx, production, 0);
  await activities('deploy', 'remove canary').removeCanary({ environment: production });
  const verification = await activities('check', `verify ${production}`).verifyEnvironment({
    environment: production,
    expectedVersion: s.version,
  });
  if (!verification.ok) throw new Error(`production verification failed: ${failedLines(verification.services)}`);
  await ctx.recordPromotion(production, 'record production version');
  await ctx.finish(
    'PROMOTED',
    `${s.version} serves 100% of ${production}: ${verification.services.map((v) => v.line).join(', ')}`,
  );
}

/** The last undo step: the version that served before still serves, healthy, with no canary beside it. */
export async function confirmStable(environment: string, version: string | null): Promise<string> {
  if (version === null) {
    const health = await activities('undo', `check ${environment} stable health`).checkHealth({
      environment,
      track: 'stable',
    });
    const sick = health.filter((h) => !h.healthy);
    if (sick.length)
      throw new Error(`stable track unhealthy: ${sick.map((h) => `${h.service} (${h.detail})`).join(', ')}`);
    return `stable track healthy (${health.length} services)`;
  }
  const report = await activities('undo', `verify ${environment} runs ${version}`).verifyEnvironment({
    environment,
    expectedVersion: version,
  });
  if (!report.ok) throw new Error(failedLines(report.services));
  return report.services.map((l) => l.line).join(', ');
}

function failedLines(services: Array<{ ok: boolean; line: string }>): string {
  return services
    .filter((v) => !v.ok)
    .map((v) => v.line)
    .join('; ');
}
