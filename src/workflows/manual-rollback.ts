// A manual rollback of an environment (ID rollback-<environment>-<time>): back to the previous
// version, or to a named version that once ran there, without analysis, ending with verification.
// It takes precedence over a promotion holding the environment: that release is cancelled (its own
// compensations run first) and the rollback goes to the front of the environment's queue.
import { condition, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { environmentGrantedSignal } from '../shared/messages';
import { previousVersion, rollbackCandidates } from '../shared/ledger';
import { rollbackStatusQuery, type ManualRollbackInput, type ManualRollbackResult, type ManualRollbackStatus } from '../shared/rollback';
import { ReleaseStageAttribute, ReleaseVersionAttribute } from '../shared/search-attributes';
import type { AuditAction } from '../shared/audit';
import { activities } from './activity-proxies';
import { rootMessage } from './release/compensation';

export async function manualRollback(input: ManualRollbackInput): Promise<ManualRollbackResult> {
  const { environment } = input;
  const info = workflowInfo();
  const status: ManualRollbackStatus = { environment, requestedBy: input.requestedBy, fromVersion: null, targetVersion: input.version, stage: 'RESOLVING', waitingFor: null, verification: [], reason: null };
  let granted = false;
  let seq = 0;
  setHandler(rollbackStatusQuery, () => status);
  setHandler(environmentGrantedSignal, (g) => void (granted ||= g.environment === environment));

  const audit = async (action: AuditAction, reason: string) => {
    await activities('record', `audit: ${action}`).appendAudit({
      key: `${info.workflowId}/${info.runId}/${++seq}`,
      seq,
      version: status.targetVersion ?? '-',
      timestamp: new Date().toISOString(),
      action,
      from_stage: status.fromVersion,
      to_stage: status.targetVersion,
      approved_by: input.requestedBy,
      ci_run_id: null,
      commit_sha: null,
      workflow_id: info.workflowId,
      run_id: info.runId,
      kind: 'rollback',
      reason,
      channel: null,
    });
  };
  const notify = (title: string, reason: string) =>
    activities('notify', 'notify: rollback').notify({
      kind: 'rollback-started',
      workflowId: info.workflowId,
      version: status.targetVersion ?? '-',
      releaseKind: 'standard',
      stage: 'ROLLING_BACK',
      title,
      reason,
      url: `${input.webUiUrl}/namespaces/${encodeURIComponent(input.namespace)}/workflows/${encodeURIComponent(info.workflowId)}`,
      threadTs: null,
      actions: [],
      asked: [],
      approvalProgress: null,
      gates: [],
    }).catch(() => undefined);
  const stage = (s: ManualRollbackStatus['stage'], line: string) => {
    status.stage = s;
    upsertSearchAttributes([{ key: ReleaseStageAttribute, value: s }]);
    setCurrentDetails(`**Rollback of ${environment}** to ${status.targetVersion ?? '?'} — **${s}**\n\n${line}`);
  };
  const end = async (ok: boolean, reason: string): Promise<ManualRollbackResult> => {
    status.reason = reason;
    stage(ok ? 'ROLLED_BACK' : status.stage === 'RESOLVING' ? 'REFUSED' : 'FAILED', reason);
    await audit(ok ? 'rollback' : 'rollback_failed', reason);
    await notify(`${environment} rollback ${ok ? 'complete' : 'failed'}`, reason);
    return { ok, environment, version: status.targetVersion, verification: status.verification, reason };
  };

  // Which version: the named one if it once ran here, else the one before the current.
  const records = await activities('record', `read ${environment} version records`).environmentRecords({ environment });
  const candidates = rollbackCandidates(records);
  status.fromVersion = records.current?.version ?? null;
  if (input.version !== null && !candidates.includes(input.version)) {
    return end(false, `${input.version} never ran in ${environment} (or runs there now); versions you can roll back to: ${candidates.join(', ') || 'none recorded'}`);
  }
  status.targetVersion = input.version ?? previousVersion(records);
  if (status.targetVersion === null) return end(false, `no earlier version of ${environment} is recorded; roll back with --version, or record one with update-sot`);
  const target = status.targetVersion;
  upsertSearchAttributes([{ key: ReleaseVersionAttribute, value: target }]);
  await audit('rollback', `manual rollback of ${environment} from ${status.fromVersion ?? 'unknown'} to ${target} requested by ${input.requestedBy}`);

  // Take the environment, cancelling a promotion that holds it.
  const lease = await activities('record', `acquire ${environment}`).acquireEnvironment({ environment, workflowId: info.workflowId, purpose: `rollback to ${target}`, preempt: true });
  try {
    if (!lease.granted) {
      const holder = lease.holder;
      status.waitingFor = `${environment} held by ${holder?.workflowId ?? 'another change'}${holder && isPromotion(holder.workflowId) ? ', which is being cancelled and compensated first' : ''}`;
      stage('WAITING_FOR_ENVIRONMENT', status.waitingFor);
      if (holder && isPromotion(holder.workflowId)) await activities('record', `cancel ${holder.workflowId}`).cancelHolder({ workflowId: holder.workflowId });
      await condition(() => granted);
      status.waitingFor = null;
    }
    stage('ROLLING_BACK', `deploying ${target} to ${environment}`);
    await notify(`${environment} rolling back to ${target}`, `requested by ${input.requestedBy}`);
    await activities('deploy', `remove any canary in ${environment}`).removeCanary({ environment });
    await activities('deploy', `deploy ${target}`).deployStable({ environment, version: target });
    stage('VERIFYING', `verifying every service of ${environment} runs ${target} and is healthy`);
    const report = await activities('check', `verify ${environment}`).verifyEnvironment({ environment, expectedVersion: target });
    status.verification = report.services.map((s) => s.line);
    if (!report.ok) return await end(false, `verification failed: ${report.services.filter((s) => !s.ok).map((s) => s.line).join('; ')}`);
    await activities('record', 'record rollback').recordVersion({
      environment,
      record: { version: target, promotedBy: input.requestedBy, promotedAt: new Date().toISOString(), action: 'rollback', workflowId: info.workflowId },
    });
    return await end(true, `${environment} runs ${target} again (was ${status.fromVersion ?? 'unknown'}): ${status.verification.join(', ')}`);
  } catch (err) {
    return await end(false, `rollback of ${environment} to ${target} failed: ${rootMessage(err)}`);
  } finally {
    await activities('record', `release ${environment}`).releaseEnvironment({ environment, workflowId: info.workflowId });
  }
}

function isPromotion(workflowId: string): boolean {
  return workflowId.startsWith('release-') || workflowId.startsWith('hotfix-');
}
