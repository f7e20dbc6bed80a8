// Audit entries of the actions on an environment rather than on one release: manual rollbacks and
// versions recorded by hand. Same fields as a release's entries; numbered per workflow run.
import { workflowInfo } from '@temporalio/workflow';
import { auditEntry, type AuditAction, type AuditEntry } from '../shared/audit';
import { activities } from './activity-proxies';

export interface EnvironmentAuditBase {
  kind: Extract<AuditEntry['kind'], 'rollback' | 'record'>;
  /** The environment in the seed's words: production, staging (or its own name). */
  stage: string;
  /** The person who asked, recorded as approved_by: the policy allowed them to act. */
  by: string;
  channel: string | null;
}

export interface EnvironmentAuditFacts {
  version: string;
  internalStage: string;
  fromVersion: string | null;
  toVersion: string | null;
}

export function environmentAuditor(
  base: EnvironmentAuditBase,
): (action: AuditAction, reason: string, facts: EnvironmentAuditFacts) => Promise<void> {
  const info = workflowInfo();
  let seq = 0;
  return async (action, reason, facts) => {
    seq++;
    await activities('record', `audit: ${action}`).appendAudit(
      auditEntry({
        seq,
        version: facts.version,
        timestamp: new Date().toISOString(),
        action,
        from_stage: base.stage,
        to_stage: base.stage,
        approved_by: base.by,
        ci_run_id: null,
        commit_sha: null,
        workflow_id: info.workflowId,
        run_id: info.runId,
        kind: base.kind,
        reason,
        channel: base.channel,
        internal_stage: facts.internalStage,
        from_version: facts.fromVersion,
        to_version: facts.toVersion,
      }),
    );
  };
}
