// Release evidence, as the seed lists it: TEST/release/<version>/promotion.log (a timeline a person
// reads), metrics.json (every canary evaluation with inputs, thresholds and verdict) and
// approval.json (who approved what, when, through which channel, under which policy). Projected
// from the workflow's status, so the files written during a release and those regenerated later are
// the same. Each run of a version keeps its own copy in runs/<run id>/, which no later run touches;
// the seed's paths show the version's latest run.
import { canarySteps } from '../shared/policy';
import { mkdirSync, writeFileSync, renameSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseStatus } from '../shared/release';
import type { AuditEntry } from '../shared/audit';

export interface EvidenceFiles {
  'promotion.log': string;
  'metrics.json': string;
  'approval.json': string;
}

export const EVIDENCE_FILE_NAMES = ['promotion.log', 'metrics.json', 'approval.json'] as const;

export function renderEvidence(status: ReleaseStatus, allEntries: readonly AuditEntry[]): EvidenceFiles {
  // This run's entries, and the environment's rollbacks that concern its version.
  const audit = allEntries.filter(
    (e) => (e.workflow_id === status.workflowId && e.run_id === status.runId) || e.kind === 'rollback',
  );
  return {
    'promotion.log': renderPromotionLog(status, audit),
    'metrics.json': `${JSON.stringify(
      {
        version: status.version,
        workflowId: status.workflowId,
        runId: status.runId,
        policyDigest: status.policyDigest,
        thresholds: status.policy.canary.thresholds,
        canary: {
          weightPercent: status.policy.canary.weightPercent,
          /** The split the router reported last (stable/canary percent per service); null before routing. */
          weights: status.canary.weights ?? null,
          steps: canarySteps(status.policy.canary),
          step: status.canary.step ?? null,
          minDurationMs: status.canary.requiredMs,
          elapsedMs: status.canary.elapsedMs,
          startedAt: status.canary.startedAt,
        },
        evaluations: status.canary.evaluations,
      },
      null,
      2,
    )}\n`,
    'approval.json': `${JSON.stringify(
      {
        version: status.version,
        kind: status.kind,
        workflowId: status.workflowId,
        runId: status.runId,
        requestedBy: status.requestedBy,
        repeatOf: status.repeatOf,
        approvalRequestedAt: status.approval.requestedAt,
        approvalRequestedBy: status.approval.requestedBy,
        requiredApprovals: status.approval.required,
        asked: status.approval.asked,
        approvals: status.approval.approvals,
        rejection: status.approval.rejection,
        notBefore: status.approval.notBefore,
        // The rules the approvals were judged by: the installation's policy this run recorded.
        policy: {
          digest: status.policyDigest,
          roles: status.policy.access.roles,
          permissions: status.policy.access.permissions,
          separationOfDuties: status.policy.approval.separationOfDuties,
          hotfixRequiredApprovals: status.policy.hotfix.requiredApprovals,
        },
      },
      null,
      2,
    )}\n`,
  };
}

function renderPromotionLog(status: ReleaseStatus, audit: AuditEntry[]): string {
  const lines = [
    `# Promotion log: ${status.version} (${status.kind})`,
    `workflow: ${status.workflowId}   run: ${status.runId}`,
    `commit: ${status.commitSha}   ci run: ${status.ciRunId ?? '-'}   requested by: ${status.requestedBy}`,
    `outcome: ${status.outcome ?? `in progress (${status.stage})`}${status.outcomeReason ? ` — ${status.outcomeReason}` : ''}`,
    `policy: ${status.policyDigest ?? '(recorded in the input by earlier code)'}${status.repeatOf ? `   promoted again after ${status.repeatOf.workflowId} run ${status.repeatOf.runId} (${status.repeatOf.outcome})` : ''}`,
    '',
    '## Timeline',
    ...audit.map(
      (e) =>
        `${e.timestamp}  ${e.action.padEnd(16)} ${stageChange(e)}${e.approved_by ? ` by ${e.approved_by}` : ''}  ${e.reason}`,
    ),
    '',
    '## Gates',
    ...status.gates.map((g) => `${g.passed ? 'PASS' : 'FAIL'}  ${g.gate.padEnd(18)} ${g.reason}`),
    '',
    '## Canary evaluations',
    ...status.canary.evaluations.map(
      (e) => `${e.at}  +${Math.round(e.canaryElapsedMs / 60_000)}m  ${e.verdict.padEnd(12)} ${e.reason}`,
    ),
  ];
  if (status.rollback) {
    lines.push(
      '',
      `## Rollback: ${status.rollback.reason}`,
      ...status.rollback.steps.map((s) => `${s.at}  ${s.ok ? 'ok  ' : 'FAIL'}  ${s.step}: ${s.detail}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

function stageChange(e: AuditEntry): string {
  const stages =
    e.from_stage && e.to_stage && e.from_stage !== e.to_stage
      ? `${e.from_stage} → ${e.to_stage}`
      : (e.to_stage ?? e.from_stage ?? '');
  return e.internal_stage ? `${stages} (${e.internal_stage})` : stages;
}

/** Where one run's own evidence lives: never written by another run. */
export function runEvidenceDir(evidenceDir: string, version: string, runId: string): string {
  return join(evidenceDir, version, 'runs', runId);
}

/** The run IDs whose evidence is kept for a version. */
export function evidenceRuns(evidenceDir: string, version: string): string[] {
  const dir = join(evidenceDir, version, 'runs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/**
 * Writes a run's files to its own directory and, when `asLatest`, to the seed's paths (the version's
 * latest run). Returns the seed-path directory, or the run's own when not the latest.
 */
export function writeEvidenceFiles(
  evidenceDir: string,
  version: string,
  runId: string,
  files: EvidenceFiles,
  asLatest = true,
): string {
  writeAll(runEvidenceDir(evidenceDir, version, runId), files);
  if (!asLatest) return runEvidenceDir(evidenceDir, version, runId);
  const dir = join(evidenceDir, version);
  writeAll(dir, files);
  return dir;
}

function writeAll(dir: string, files: EvidenceFiles): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files) as Array<[string, string]>) {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(dir, name));
  }
}
