// One audit trail entry: the seed's fields (version, timestamp, action, from_stage, to_stage,
// approved_by, ci_run_id, commit_sha) plus where it came from and why.
export type AuditAction =
  | 'start'
  | 'gate'
  | 'approval_request'
  | 'approve'
  | 'reject'
  | 'promote'
  | 'pause'
  | 'soak_restart'
  | 'resume'
  | 'rollback'
  | 'rollback_failed'
  | 'hotfix_approve'
  | 'cancel'
  | 'finish';

export interface AuditEntry {
  /** Idempotency key: the same action is written once even when its activity runs twice. */
  key: string;
  seq: number;
  version: string;
  timestamp: string;
  action: AuditAction;
  from_stage: string | null;
  to_stage: string | null;
  approved_by: string | null;
  ci_run_id: string | null;
  commit_sha: string | null;
  workflow_id: string;
  run_id: string;
  kind: 'standard' | 'hotfix' | 'rollback';
  /** One line: why this happened. */
  reason: string;
  channel: string | null;
}

/** Which audit file an entry belongs in: a release's own, or the environment's rollbacks. */
export function auditFileName(entry: Pick<AuditEntry, 'kind' | 'version' | 'workflow_id'>): string {
  return entry.kind === 'rollback' ? 'rollbacks.jsonl' : `${entry.version}.jsonl`;
}
