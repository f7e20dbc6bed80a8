// The figures, as Markdown tables that can be pasted into the README or an issue. Every ratio reads
// "times the bare workflow's cost": product ÷ bare for costs, bare ÷ product for the start rate.
import type { CommandTiming } from './cli-timing';
import { mean, percentile, type WorkflowStats } from './history-stats';
import type { SideRun } from './side';

export interface NResult {
  n: number;
  /** What bin/release-promote.mjs ran for the product's worker: dist/ or the sources through tsx. */
  productFrom: string;
  product: SideRun;
  bare: SideRun;
  status: CommandTiming[] | null;
}

interface Figures {
  startRate: number;
  timeToPark: number;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  timers: number;
  wftProblems: number;
  activityRetries: number;
  cpu: number;
  cpuPerWorkflowMs: number;
  peakMiB: number;
  startupCpu: number;
  startupPeakMiB: number;
  serverCpu: number;
  wftP50: number;
  wftP95: number;
  activityP50: number;
  activityP95: number;
}

function figures(side: SideRun): Figures {
  const all = [...side.measured, ...side.helpers];
  const perWorkflow = (pick: (s: WorkflowStats) => number) => mean(side.measured.map(pick));
  const total = (pick: (s: WorkflowStats) => number) => all.reduce((sum, s) => sum + pick(s), 0);
  const wft = all.flatMap((s) => s.wftScheduleToStartMs);
  const act = all.flatMap((s) => s.activityScheduleToStartMs);
  return {
    startRate: side.n / side.startSeconds,
    timeToPark: side.timeToParkSeconds,
    events: perWorkflow((s) => s.events),
    workflowTasks: perWorkflow((s) => s.workflowTasks),
    activities: perWorkflow((s) => s.activities),
    localActivities: perWorkflow((s) => s.localActivities),
    timers: perWorkflow((s) => s.timers),
    wftProblems: total((s) => s.workflowTasksFailed + s.workflowTasksTimedOut),
    activityRetries: total((s) => s.activityRetries),
    cpu: side.worker.cpuSeconds,
    cpuPerWorkflowMs: (side.worker.cpuSeconds * 1000) / side.n,
    peakMiB: side.worker.peakMiB,
    startupCpu: side.worker.startupCpuSeconds,
    startupPeakMiB: side.worker.startupPeakMiB,
    serverCpu: side.serverCpuSeconds,
    wftP50: percentile(wft, 50),
    wftP95: percentile(wft, 95),
    activityP50: percentile(act, 50),
    activityP95: percentile(act, 95),
  };
}

function num(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(cost: number, baseline: number): string {
  if (!Number.isFinite(cost) || !Number.isFinite(baseline) || baseline <= 0) return '—';
  const r = cost / baseline;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function parkCell(side: SideRun): string {
  if (side.park.parked) return num(side.timeToParkSeconds);
  const waiting = side.measured.filter((s) => {
    const state = side.park.states.get(s.workflowId) ?? 'not seen';
    return !state.startsWith('not ') && !state.startsWith('ended');
  }).length;
  return `not parked: ${waiting}/${side.n} after ${num((side.park.detectedAtMs - side.firstStartMs) / 1000)}`;
}

/** The side-by-side table at one N. */
export function comparisonTable(r: NResult): string {
  const p = figures(r.product);
  const b = figures(r.bare);
  const row = (label: string, pv: string, bv: string, ratioCell: string) => [label, pv, bv, ratioCell];
  const costRow = (label: string, pick: (f: Figures) => number, digits = 1) =>
    row(label, num(pick(p), digits), num(pick(b), digits), ratio(pick(p), pick(b)));
  return table(
    [`N = ${r.n.toLocaleString('en-US')}`, 'release-promote', 'bare workflow', 'cost ratio'],
    [
      row('start rate (starts/s)', num(p.startRate), num(b.startRate), ratio(b.startRate, p.startRate)),
      row('failed starts', String(r.product.startFailures.length), String(r.bare.startFailures.length), '—'),
      row(
        'time to park (s)',
        parkCell(r.product),
        parkCell(r.bare),
        r.product.park.parked && r.bare.park.parked ? ratio(p.timeToPark, b.timeToPark) : '—',
      ),
      costRow('events per workflow', (f) => f.events),
      costRow('workflow tasks per workflow', (f) => f.workflowTasks),
      costRow('activities per workflow', (f) => f.activities),
      costRow('local activities per workflow', (f) => f.localActivities),
      costRow('timers per workflow', (f) => f.timers),
      row('workflow tasks failed or timed out (all workflows)', num(p.wftProblems, 0), num(b.wftProblems, 0), '—'),
      row('activity retries (all workflows)', num(p.activityRetries, 0), num(b.activityRetries, 0), '—'),
      costRow('worker CPU, ready → parked (s)', (f) => f.cpu),
      costRow('worker CPU per workflow (ms)', (f) => f.cpuPerWorkflowMs),
      costRow(
        `worker peak RSS, ${r.product.worker.peakIsLifetime ? 'whole life' : 'ready → parked'} (MiB)`,
        (f) => f.peakMiB,
        0,
      ),
      costRow('worker start-up CPU, to its first poll (s)', (f) => f.startupCpu),
      costRow('worker peak RSS during start-up (MiB)', (f) => f.startupPeakMiB, 0),
      costRow('dev server CPU (s)', (f) => f.serverCpu),
      costRow('workflow task schedule-to-start p50 (ms)', (f) => f.wftP50, 0),
      costRow('workflow task schedule-to-start p95 (ms)', (f) => f.wftP95, 0),
      costRow('activity schedule-to-start p50 (ms)', (f) => f.activityP50, 0),
      costRow('activity schedule-to-start p95 (ms)', (f) => f.activityP95, 0),
    ],
  );
}

/** The product's releases by where they parked (the one soaking did more than those queued behind it). */
export function stageTable(side: SideRun): string {
  const groups = new Map<string, WorkflowStats[]>();
  for (const s of side.measured) {
    const state = side.park.states.get(s.workflowId) ?? 'unknown';
    groups.set(state, [...(groups.get(state) ?? []), s]);
  }
  const rowOf = (label: string, stats: WorkflowStats[]) => [
    label,
    String(stats.length),
    ...[
      (s: WorkflowStats) => s.events,
      (s: WorkflowStats) => s.workflowTasks,
      (s: WorkflowStats) => s.activities,
      (s: WorkflowStats) => s.localActivities,
      (s: WorkflowStats) => s.timers,
    ].map((pick) => num(mean(stats.map(pick)))),
  ];
  return table(
    ['releases parked in', 'releases', 'events', 'workflow tasks', 'activities', 'local activities', 'timers'],
    [
      ...[...groups].sort(([a], [b]) => a.localeCompare(b)).map(([state, stats]) => rowOf(state, stats)),
      rowOf('**all (mean per release)**', side.measured),
    ],
  );
}

/** The side's other workflows (the environments' ledgers), with every workflow task failure's cause. */
export function helperTable(side: SideRun): string {
  const causes = new Map<string, number>();
  for (const s of [...side.measured, ...side.helpers])
    for (const [cause, count] of s.failCauses) causes.set(cause, (causes.get(cause) ?? 0) + count);
  const rows = side.helpers.map((s) => [
    s.runs > 1 ? `${s.workflowId} (${s.runs} runs)` : s.workflowId,
    String(s.events),
    String(s.workflowTasks),
    String(s.workflowTasksFailed + s.workflowTasksTimedOut),
    String(s.activities),
    String(s.activityRetries),
  ]);
  const timedOut = [...side.measured, ...side.helpers].reduce((n, s) => n + s.workflowTasksTimedOut, 0);
  const failures = causes.size
    ? `Workflow task failures by cause (all workflows): ${[...causes].map(([c, n]) => `${c} ${n}`).join(', ')}.`
    : 'No workflow task failed (all workflows).';
  const causeLine = `${failures} ${timedOut ? `${timedOut} timed out (not started or not completed in time).` : 'None timed out.'}`;
  return `${rows.length ? `${table(['other workflow', 'events', 'workflow tasks', 'WFT failed/timed out', 'activities', 'activity retries'], rows)}\n\n` : ''}${causeLine}`;
}

export function statusTable(timings: CommandTiming[], runs: number): string {
  const describe = timings.find((t) => t.label.includes('temporal workflow describe'));
  return table(
    [`command (${runs} runs, fresh process each)`, 'median (ms)', '× describe'],
    timings.map((t) => [
      t.label,
      t.failure ? `failed (${t.failure})` : num(t.medianMs, 0),
      t.failure ? '—' : ratio(t.medianMs, describe?.medianMs ?? NaN),
    ]),
  );
}

/** One line per N: the headline ratios. */
export function summaryTable(results: NResult[]): string {
  const cell = (pv: number, bv: number, digits = 1) => `${num(pv, digits)} / ${num(bv, digits)} = ${ratio(pv, bv)}`;
  return table(
    [
      'N',
      'time to park, s',
      'events per workflow',
      'workflow tasks per workflow',
      'worker CPU, s',
      'worker peak RSS, MiB',
      'status ÷ describe',
    ],
    results.map((r) => {
      const p = figures(r.product);
      const b = figures(r.bare);
      const statusBin = r.status?.find((t) => t.label.includes('(bin/'));
      const describe = r.status?.find((t) => t.label.includes('describe'));
      return [
        r.n.toLocaleString('en-US'),
        r.product.park.parked && r.bare.park.parked ? cell(p.timeToPark, b.timeToPark) : 'did not park',
        cell(p.events, b.events),
        cell(p.workflowTasks, b.workflowTasks),
        cell(p.cpu, b.cpu),
        cell(p.peakMiB, b.peakMiB, 0),
        statusBin && describe
          ? `${num(statusBin.medianMs, 0)} / ${num(describe.medianMs, 0)} ms = ${ratio(statusBin.medianMs, describe.medianMs)}`
          : '—',
      ];
    }),
  );
}
