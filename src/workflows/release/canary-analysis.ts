// Stage 3: the canary runs for a minimum duration (30 min by default) on a durable timer, while its
// metrics and health are judged against the stable baseline every analysis interval. A pause stops
// that timer (paused time does not count) and keeps evaluating the hard gates; a human resumes it or
// rolls it back. The canary finishes only on a passing evaluation after the minimum duration.
import { CancellationScope, condition, isCancellation, patched, sleep } from '@temporalio/workflow';
import type { CanaryPosition } from '../../shared/carried-release';
import { canaryComplete, decideCanaryAction, judgeCanary } from '../../shared/canary-verdict';
import { combinedSample, judgeServices, type ServiceSample } from '../../shared/service-verdict';
import { shareTolerancePp } from '../../shared/traffic-share';
import type { CanaryEvaluation, CanaryStep, MetricSample, ServiceHealth } from '../../shared/release';
import { canarySteps } from '../../shared/policy';
import { setCanaryWeight } from './canary-routing';
import { activities } from '../activity-proxies';
import type { Inbox, ReleaseContext } from './context';
import { rolesFor } from '../../shared/authorization';
import { formatDuration as formatMs } from '../../shared/duration-format';
import { rootMessage } from './compensation';

/** How often the evidence files are rewritten during the canary: every 5 evaluations (5 min by default). */
const EVIDENCE_EVERY_EVALUATIONS = 5;

export type CanaryResult =
  { ok: true } | { ok: false; reason: string; decidedBy: string | null } | { carry: CanaryPosition };

/**
 * Patch marker: a paused canary whose history has grown large continues as new (issue 15), carrying
 * where it stands. Asked only at that point, so a run that never gets there records no marker.
 */
export const PAUSED_CONTINUE_AS_NEW_PATCH = 'paused-continue-as-new';

/**
 * The canary's steps one after another (the seed's single 10% step by default): each step's weight
 * is set by the router, held for the minimum duration and judged; a step that does not pass ends
 * the canary. Paused time never counts, in any step.
 */
export async function runCanary(
  ctx: ReleaseContext,
  inbox: Inbox,
  environment: string,
  from: CanaryPosition | null = null,
): Promise<CanaryResult> {
  const policy = ctx.policy.canary;
  const weights = canarySteps(policy);
  const canary = ctx.status.canary;
  if (!from) canary.startedAt = new Date().toISOString();
  if (weights.length > 1) canary.requiredMs = policy.minDurationMs * weights.length;
  for (const [i, weightPct] of weights.entries()) {
    // A continued run goes on in the step its earlier run paused in, with that step's weight still set.
    if (from && i < from.stepIndex) continue;
    const resumed = from !== null && i === from.stepIndex;
    const step: CanaryStep = { index: i + 1, of: weights.length, weightPct };
    canary.step = step;
    if (i > 0 && !resumed) {
      const split = await setCanaryWeight(ctx, environment, weightPct);
      await ctx.transition(
        'CANARY',
        `canary step ${step.index} of ${step.of}: ${weightPct}% of requests (${split}) after step ${i} passed ${formatMs(policy.minDurationMs)}`,
        { action: 'progress' },
      );
    }
    const result = await runStep(ctx, inbox, environment, step, i * policy.minDurationMs, resumed ? from : null);
    if ('carry' in result || !result.ok) return result;
  }
  return { ok: true };
}

async function runStep(
  ctx: ReleaseContext,
  inbox: Inbox,
  environment: string,
  step: CanaryStep,
  earlierStepsMs: number,
  from: CanaryPosition | null,
): Promise<CanaryResult> {
  const policy = ctx.policy.canary;
  const canary = ctx.status.canary;
  let remainingMs = from?.remainingMs ?? policy.minDurationMs;
  let windowStartedAt = 0;
  let windowDone = false;
  let window: CancellationScope | null = null;
  let windowPromise: Promise<void> = Promise.resolve();
  let lastReminderAt = from?.lastReminderAt ?? 0;

  const elapsed = () => policy.minDurationMs - remainingMs + (window ? Date.now() - windowStartedAt : 0);
  const startWindow = () => {
    window = new CancellationScope();
    windowStartedAt = Date.now();
    canary.endsAt = new Date(windowStartedAt + remainingMs).toISOString();
    windowPromise = window
      .run(() => sleep(remainingMs, { summary: `canary minimum duration: ${formatMs(remainingMs)} left` }))
      .then(
        () => void (windowDone = true),
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  };
  const stopWindow = async () => {
    if (!window) return;
    remainingMs = Math.max(0, remainingMs - (Date.now() - windowStartedAt));
    window.cancel();
    window = null;
    canary.endsAt = null;
    await windowPromise;
  };

  /**
   * Until the next evaluation is due or a pause decision comes. In a lean run the last evaluation of
   * the window comes when the window ends, not on an interval timer of its own: two timers due within
   * milliseconds, one cancelled because of the other, is a race a workflow task that runs local
   * activities widens (the real server drops the late fire; the time-skipping server refuses the
   * task, sdk-java#2606) and an extra timer for nothing.
   */
  const waitForNext = async () => {
    const decided = () => inbox.pauseDecision !== null;
    const windowLeft = window ? windowStartedAt + remainingMs - Date.now() : Infinity;
    if (ctx.lean && windowLeft <= policy.analysisIntervalMs) await condition(() => decided() || windowDone);
    else await condition(decided, policy.analysisIntervalMs);
  };

  // A continued run that was paused stays paused (its waiting line is carried); otherwise the clock runs.
  if (canary.paused === null) {
    startWindow();
    const which = step.of > 1 ? `step ${step.index} of ${step.of}, ` : '';
    ctx.setWaitingFor(
      `canary ${which}at ${step.weightPct}% for ${formatMs(policy.minDurationMs)}, judged every ${formatMs(policy.analysisIntervalMs)}`,
    );
  }

  for (let n = 1; ; n++) {
    await waitForNext();
    const decision = inbox.pauseDecision;
    if (decision) {
      // The decision stays in the inbox until it has been carried out, so the validator refuses a
      // second one meanwhile (the stage is still CANARY_PAUSED while the audit entry is written).
      const by = decision.approver;
      const said = `${decision.decision} by ${by} via ${decision.channel}${decision.reason ? `: ${decision.reason}` : ''}`;
      if (decision.decision === 'rollback')
        await ctx.audit('rollback', said, {
          approvedBy: by,
          channel: decision.channel,
          fromVersion: ctx.status.version,
          toVersion: ctx.status.previousProductionVersion,
        });
      ctx.status.approval.approvals.push({
        approver: by,
        channel: decision.channel,
        at: new Date().toISOString(),
        subject: decision.decision,
        note: decision.reason ?? null,
        notBefore: null,
      });
      if (decision.decision === 'rollback') {
        const reason = `rollback decided by ${by} while paused (${canary.paused?.reason ?? 'paused'})${decision.reason ? `: ${decision.reason}` : ''}`;
        canary.paused = null;
        return { ok: false, reason, decidedBy: by };
      }
      canary.paused = null;
      canary.consecutiveBreaches = 0;
      canary.consecutiveSlowdowns = 0;
      canary.consecutiveInconclusive = 0;
      startWindow();
      await ctx.transition('CANARY', `${said}; ${formatMs(remainingMs)} of canary left`, {
        action: 'resume',
        approvedBy: by,
        channel: decision.channel,
      });
      inbox.pauseDecision = null;
      continue;
    }

    const evaluation = await evaluate(ctx, environment, earlierStepsMs + elapsed(), step.weightPct);
    canary.elapsedMs = earlierStepsMs + elapsed();
    const paused = canary.paused !== null;
    const action = decideCanaryAction(evaluation.verdict, evaluation.reason, canary, policy, paused);
    Object.assign(canary, action.counters);
    ctx.keepEvaluation({ ...evaluation, reason: action.reason });
    ctx.details(`evaluation ${n}: ${evaluation.verdict} — ${action.reason}`);

    if (action.action === 'rollback') {
      canary.paused = null;
      return { ok: false, reason: action.reason, decidedBy: null };
    }
    if (action.action === 'pause') {
      await stopWindow();
      canary.paused = { since: new Date().toISOString(), reason: action.reason };
      lastReminderAt = Date.now();
      ctx.setWaitingFor(
        `a decision (resume or rollback) from ${rolesFor(ctx.policy.access, 'resume')}: ${action.reason}`,
      );
      await ctx.transition('CANARY_PAUSED', action.reason, { notify: false });
      await ctx.notify('canary-paused', `${ctx.status.version} canary paused`, action.reason, ['resume', 'rollback']);
      continue;
    }
    const pausedFor = paused ? Date.now() - Date.parse(canary.paused!.since) : 0;
    if (paused && policy.pauseDeadlineMs != null && pausedFor >= policy.pauseDeadlineMs) {
      const reason = `nobody decided within ${formatMs(policy.pauseDeadlineMs)} of the pause (${canary.paused!.reason})`;
      canary.paused = null;
      return { ok: false, reason, decidedBy: null };
    }
    if (paused && Date.now() - lastReminderAt >= policy.pauseReminderIntervalMs) {
      lastReminderAt = Date.now();
      await ctx.notify('pause-reminder', `${ctx.status.version} canary still paused`, canary.paused!.reason, [
        'resume',
        'rollback',
      ]);
    }
    // Paused, the window's clock is stopped, so where the canary stands is exact: hand it to a new run
    // before the history grows large (about 10 events per evaluation, 1,440 evaluations a day).
    if (paused && inbox.pauseDecision === null && ctx.lean && ctx.historyLarge && patched(PAUSED_CONTINUE_AS_NEW_PATCH))
      return { carry: { stepIndex: step.index - 1, remainingMs, lastReminderAt } };
    if (!paused && windowDone && canaryComplete(elapsed(), policy, evaluation.verdict)) {
      canary.endsAt = new Date().toISOString();
      return { ok: true };
    }
    // metrics.json follows the canary while it runs, not only at its end (stage changes write it
    // too). Last in the round, so the write's time never falls between an evaluation and what it
    // decides. Patched: releases that ran before it must replay without these writes.
    if (n % EVIDENCE_EVERY_EVALUATIONS === 0 && ctx.since('evidence-during-canary')) await ctx.writeEvidence();
  }
}

/** Patched: releases recorded before judged one aggregate over all services, without the traffic share. */
export const PER_SERVICE_CANARY_PATCH = 'per-service-canary';

async function evaluate(
  ctx: ReleaseContext,
  environment: string,
  canaryElapsedMs: number,
  weightPct: number,
): Promise<CanaryEvaluation> {
  const thresholds = ctx.policy.canary.thresholds;
  if (ctx.since(PER_SERVICE_CANARY_PATCH)) {
    const [samples, health] = await Promise.all([sampleServices(environment), canaryHealth(environment)]);
    const judgement = judgeServices(samples, health, thresholds, {
      weightPct,
      tolerancePp: shareTolerancePp(weightPct, ctx.policy.canary.shareTolerancePp),
    });
    return {
      at: new Date().toISOString(),
      canaryElapsedMs,
      baseline: combinedSample(samples.map((s) => s.baseline)),
      canary: combinedSample(samples.map((s) => s.canary)),
      health,
      weightPct,
      ...judgement,
    };
  }
  const [measured, health] = await Promise.all([sample(environment), canaryHealth(environment)]);
  const judgement = judgeCanary(measured.baseline, measured.canary, health, thresholds);
  return {
    at: new Date().toISOString(),
    canaryElapsedMs,
    baseline: measured.baseline,
    canary: measured.canary,
    health,
    ...judgement,
  };
}

/** A measurement that fails after its retries is recorded as an errored (inconclusive) sample, never a pass. */
async function sample(environment: string): Promise<{ baseline: MetricSample; canary: MetricSample }> {
  try {
    return await activities('metrics', 'canary metrics sample').sampleCanaryMetrics({ environment });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const message = rootMessage(err);
    const failed: MetricSample = {
      requests: null,
      errorRatePct: null,
      p99Ms: null,
      availabilityPct: null,
      queryError: message,
    };
    return { baseline: failed, canary: failed };
  }
}

/** A measurement that fails after its retries is an errored (inconclusive) sample for every service, never a pass. */
async function sampleServices(environment: string): Promise<ServiceSample[]> {
  try {
    return await activities('metrics', 'canary metrics per service').sampleServiceMetrics({ environment });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failed: MetricSample = {
      requests: null,
      errorRatePct: null,
      p99Ms: null,
      availabilityPct: null,
      queryError: rootMessage(err),
    };
    return [{ service: 'all services', baseline: failed, canary: failed }];
  }
}

async function canaryHealth(environment: string): Promise<ServiceHealth[]> {
  try {
    return await activities('metrics', 'canary health check').checkHealth({ environment, track: 'canary' });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return [];
  }
}
