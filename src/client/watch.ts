// `watch`: prints each stage change, soak check and canary evaluation as it happens, until the
// release ends. Polls the status query; the workflow is the only source of truth.
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../shared/messages';
import type { ReleaseStatus } from '../shared/release';

export async function watchRelease(
  handle: WorkflowHandle,
  out: (line: string) => void,
  options: { intervalMs?: number; onStatus?: (s: ReleaseStatus) => Promise<void> } = {},
): Promise<ReleaseStatus> {
  let seenTransitions = 0;
  let seenEvaluations = 0;
  let seenChecks = 0;
  let lastWaiting: string | null = null;
  for (;;) {
    const s = await handle.query(statusQuery);
    for (const t of s.history.slice(seenTransitions))
      out(`${time(t.at)}  ${(t.from ?? '-').padEnd(18)} → ${t.to.padEnd(18)} ${t.reason}`);
    seenTransitions = s.history.length;
    if (s.soak.checks > seenChecks && s.soak.lastCheck) {
      out(
        `${time(s.soak.lastCheck.at)}    soak check ${s.soak.checks}: ${s.soak.lastCheck.reason} (healthy until ${s.soak.endsAt ? time(s.soak.endsAt) : '?'} needed)`,
      );
      seenChecks = s.soak.checks;
    }
    const evals = s.canary.evaluations;
    for (const e of evals.slice(seenEvaluations))
      out(`${time(e.at)}    canary +${Math.round(e.canaryElapsedMs / 1000)}s ${e.verdict}: ${e.reason}`);
    seenEvaluations = evals.length;
    if (s.waitingFor && s.waitingFor !== lastWaiting && !s.outcome) out(`           waiting for ${s.waitingFor}`);
    lastWaiting = s.waitingFor;
    if (options.onStatus) await options.onStatus(s);
    // The outcome is set a moment before its transition is recorded; end once both are visible and
    // the workflow has closed: after its outcome it still writes the evidence files and the audit
    // trail's last entry, and whoever watched (the demo stops its worker next) expects them on disk.
    if (s.outcome && s.history.at(-1)?.to === s.outcome) {
      await handle.result().catch(() => undefined);
      return s;
    }
    await delay(options.intervalMs ?? 1000);
  }
}

function time(iso: string): string {
  return iso.slice(11, 19);
}
