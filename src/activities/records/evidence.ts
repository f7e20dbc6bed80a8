// Release evidence, as the seed lists it: TEST/release/<version>/promotion.log (a timeline a person
// reads), metrics.json (every canary evaluation with inputs, thresholds and verdict) and
// approval.json (who approved what, when, through which channel). Projected from the workflow's
// status, so the files written during a release and those regenerated later are the same.
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseStatus } from '../../shared/release';
import type { AuditEntry } from '../../shared/audit';

export interface EvidenceFiles {
  'promotion.log': string;
  'metrics.json': string;
  'approval.json': string;
}

export function renderEvidence(status: ReleaseStatus, audit: AuditEntry[]): EvidenceFiles {
  return {
    'promotion.log': renderPromotionLog(status, audit),
    'metrics.json': `${JSON.stringify(
      {
        version: status.version,
        workflowId: status.workflowId,
        thresholds: status.policy.canary.thresholds,
        canary: {
          weightPercent: status.policy.canary.weightPercent,
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
        requestedBy: status.requestedBy,
        approvalRequestedAt: status.approval.requestedAt,
        approvalRequestedBy: status.approval.requestedBy,
        requiredApprovals: status.approval.required,
        asked: status.approval.asked,
        approvals: status.approval.approvals,
        rejection: status.approval.rejection,
        notBefore: status.approval.notBefore,
      },
      null,
      2,
    )}\n`,
  };
}

function renderPromotionLog(status: ReleaseStatus, audit: AuditEntry[]): string {
  const lines = [
    `# Promotion log: ${status.version} (${status.kind})`,
    `workflow: ${status.workflowId}`,
    `commit: ${status.commitSha}   ci run: ${status.ciRunId ?? '-'}   requested by: ${status.requestedBy}`,
    `outcome: ${status.outcome ?? `in progress (${status.stage})`}${status.outcomeReason ? ` — ${status.outcomeReason}` : ''}`,
    '',
    '## Timeline',
    ...audit.map((e) => `${e.timestamp}  ${e.action.padEnd(16)} ${stageChange(e)}${e.approved_by ? ` by ${e.approved_by}` : ''}  ${e.reason}`),
    '',
    '## Gates',
    ...status.gates.map((g) => `${g.passed ? 'PASS' : 'FAIL'}  ${g.gate.padEnd(18)} ${g.reason}`),
    '',
    '## Canary evaluations',
    ...status.canary.evaluations.map((e) => `${e.at}  +${Math.round(e.canaryElapsedMs / 60_000)}m  ${e.verdict.padEnd(12)} ${e.reason}`),
  ];
  if (status.rollback) {
    lines.push('', `## Rollback: ${status.rollback.reason}`, ...status.rollback.steps.map((s) => `${s.at}  ${s.ok ? 'ok  ' : 'FAIL'}  ${s.step}: ${s.detail}`));
  }
  return `${lines.join('\n')}\n`;
}

function stageChange(e: AuditEntry): string {
  if (e.from_stage && e.to_stage) return `${e.from_stage} → ${e.to_stage}`;
  return e.to_stage ?? e.from_stage ?? '';
}

export function writeEvidenceFiles(evidenceDir: string, version: string, files: EvidenceFiles): string {
  const dir = join(evidenceDir, version);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files) as Array<[string, string]>) {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(dir, name));
  }
  return dir;
}
