// `status` for people: a short readable table of where a release is and why.
import { fmt } from '../shared/canary-verdict';
import { canarySteps } from '../shared/policy';
import type { ReleaseStatus } from '../shared/release';
import { approvalProgress } from '../shared/approval-rules';
import { holdersOf, rolesFor } from '../shared/authorization';
import { formatDuration } from '../shared/duration-format';

export function renderStatus(s: ReleaseStatus, now = Date.now(), extra: Array<[string, string]> = []): string {
  const rows: Array<[string, string]> = [
    ['release', `${s.version} (${s.kind}) — ${s.workflowId}`],
    ['stage', s.outcome ? `${s.stage}: ${s.outcomeReason ?? ''}` : s.stage],
    ['commit', `${s.commitSha}   requested by ${s.requestedBy}${s.ciRunId ? `   CI run ${s.ciRunId}` : ''}`],
  ];
  if (s.repeatOf)
    rows.push([
      'promoted again',
      `on purpose (--again), after ${s.repeatOf.workflowId} run ${s.repeatOf.runId} ended ${s.repeatOf.outcome}`,
    ]);
  const p = s.policy;
  const t = p.canary.thresholds;
  const approve = s.kind === 'hotfix' ? 'hotfix-approve' : 'approve';
  rows.push([
    'policy',
    `${s.policyDigest ?? '(recorded in the input by earlier code)'} (the installation's, recorded when the release started)`,
  ]);
  rows.push([
    '  rules',
    `soak ${formatDuration(p.soak.durationMs)}; canary ${canarySteps(p.canary)
      .map((w) => `${w}%`)
      .join(
        ' → ',
      )} for ${formatDuration(p.canary.minDurationMs)}; error rate < +${t.maxErrorRateIncreasePp} pp, P99 < +${t.maxP99IncreasePct}%, availability ≥ ${t.minAvailabilityPct}%; approvers: ${rolesFor(p.access, approve)} (${holdersOf(p.access, approve).join(', ') || 'nobody'})`,
  ]);
  if (s.waitingFor) rows.push(['waiting for', s.waitingFor]);
  for (const g of s.gates) rows.push([`gate ${g.gate}`, `${g.passed ? '✓' : '✗'} ${g.reason}`]);
  if (s.soak.startedAt) {
    const soak = s.soak.completedAt
      ? `complete at ${s.soak.completedAt}`
      : `ends ${s.soak.endsAt ?? '?'} (${until(s.soak.endsAt, now)})`;
    rows.push([
      'staging soak',
      `${soak}; ${s.soak.checks} checks, ${s.soak.restarts} restarts${s.soak.lastCheck ? `; last: ${s.soak.lastCheck.reason}` : ''}`,
    ]);
  }
  rows.push([
    'approvals',
    approvalProgress(s.approval) +
      (s.approval.rejection
        ? `; rejected by ${s.approval.rejection.approver}: ${s.approval.rejection.note ?? ''}`
        : ''),
  ]);
  if (s.canary.startedAt) {
    const c = s.canary;
    const state = c.paused
      ? `PAUSED since ${c.paused.since}: ${c.paused.reason}`
      : c.endsAt
        ? `minimum ends ${c.endsAt} (${until(c.endsAt, now)})`
        : '';
    rows.push([
      'canary',
      `${formatDuration(c.elapsedMs)} of ${formatDuration(c.requiredMs)}, ${c.evaluations.length} evaluations; ${state}`,
    ]);
    if (c.step && c.step.of > 1) rows.push(['canary step', `${c.step.index} of ${c.step.of}: ${c.step.weightPct}%`]);
    if (c.weights?.length)
      rows.push([
        'canary traffic',
        c.weights.map((w) => `${w.service} ${fmt(w.canary)}% (stable ${fmt(w.stable)}%)`).join(', '),
      ]);
    const last = c.evaluations.at(-1);
    if (last) rows.push(['last evaluation', `${last.verdict}: ${last.reason}`]);
  }
  if (s.rollback) {
    rows.push(['rollback', s.rollback.reason]);
    for (const step of s.rollback.steps) rows.push(['  step', `${step.ok ? '✓' : '✗'} ${step.step}: ${step.detail}`]);
  }
  const last = s.history.at(-1);
  if (last) rows.push(['last transition', `${last.at} ${last.from ?? '-'} → ${last.to}: ${last.reason}`]);
  rows.push(...extra);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function until(iso: string | null, now: number): string {
  if (!iso) return '?';
  const ms = Date.parse(iso) - now;
  if (ms <= 0) return 'now';
  const m = Math.round(ms / 60_000);
  return m >= 60 ? `in ${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `in ${m}m`;
}
