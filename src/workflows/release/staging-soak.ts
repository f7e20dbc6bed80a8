// Stage 2's soak: staging must stay healthy for a continuous soak duration (2 h by default). One
// durable timer measures the healthy period while health checks run on an interval; an unhealthy
// check cancels that timer and starts the clock again. The soak fails when a full healthy period
// can no longer fit in the maximum total soak time, and ends early if the release is rejected.
import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';
import { activities } from '../activity-proxies';
import { formatDuration as formatMs } from '../../shared/duration-format';
import type { ReleaseContext } from './context';

export type SoakResult = { ok: true } | { ok: false; reason: string } | { rejected: true };

export async function soakStaging(ctx: ReleaseContext, environment: string): Promise<SoakResult> {
  const { durationMs, healthCheckIntervalMs, maxTotalMs } = ctx.policy.soak;
  const soak = ctx.status.soak;
  const began = Date.now();
  soak.startedAt = new Date(began).toISOString();
  const hours = formatMs(durationMs);

  for (;;) {
    const periodStart = Date.now();
    soak.endsAt = new Date(periodStart + durationMs).toISOString();
    if (periodStart + durationMs > began + maxTotalMs) {
      return {
        ok: false,
        reason: `staging could not stay healthy for a continuous ${hours} within the ${formatMs(maxTotalMs)} maximum soak (${soak.restarts} restarts; last: ${soak.lastCheck?.reason ?? 'n/a'})`,
      };
    }
    ctx.setWaitingFor(`staging soak: healthy for ${hours} continuously, until ${soak.endsAt}`);

    let soaked = false;
    const timer = new CancellationScope();
    const timerDone = timer
      .run(() => sleep(durationMs, { summary: `staging soak: ${hours} of continuous health` }))
      .then(
        () => void (soaked = true),
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );

    let unhealthy: string | null = null;
    while (!soaked && unhealthy === null) {
      const settled = () => soaked || ctx.status.approval.rejection !== null;
      // A check that would come at (or after) the soak's end is not waited for: its timer would fire
      // beside the soak's and be cancelled by it (lean runs; see waitForNext in canary-analysis.ts).
      if (ctx.lean && periodStart + durationMs - Date.now() <= healthCheckIntervalMs) await condition(settled);
      else await condition(settled, healthCheckIntervalMs);
      if (ctx.status.approval.rejection !== null) {
        timer.cancel();
        await timerDone;
        return { rejected: true };
      }
      if (soaked) break;
      const health = await activities('check', `staging health check ${soak.checks + 1}`).checkHealth({
        environment,
        track: 'stable',
      });
      soak.checks++;
      const sick = health.filter((h) => !h.healthy);
      const reason = sick.length
        ? `unhealthy: ${sick.map((h) => `${h.service} (${h.detail})`).join(', ')}`
        : health.length
          ? `all ${health.length} services healthy`
          : 'no services reported health';
      const healthy = health.length > 0 && sick.length === 0;
      soak.lastCheck = { at: new Date().toISOString(), healthy, reason };
      if (!healthy) unhealthy = reason;
    }
    if (soaked) {
      soak.completedAt = new Date().toISOString();
      soak.endsAt = soak.completedAt;
      return { ok: true };
    }
    timer.cancel();
    await timerDone;
    soak.restarts++;
    await ctx.audit('soak_restart', `staging soak restarted (${soak.restarts}): ${unhealthy}`);
    await ctx.notify(
      'stage-changed',
      `${ctx.status.version}: staging soak restarted`,
      `${unhealthy}; the ${hours} clock starts again`,
    );
  }
}
