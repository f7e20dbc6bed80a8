// A manual rollback of an environment (ID rollback-<environment>-<time>): back to the previous
// version, or to a named version that once ran there, without analysis, ending with verification.
// It takes precedence over a promotion holding the environment: that release is cancelled (its own
// compensations run first) and the rollback goes to the front of the environment's queue.
import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { environmentGrantedSignal } from '../shared/messages';
import { previousVersion, rollbackCandidates } from '../shared/ledger';
import {
  rollbackStatusQuery,
  type ManualRollbackInput,
  type ManualRollbackResult,
  type ManualRollbackStatus,
} from '../shared/rollback';
import { ReleaseStageAttribute, ReleaseVersionAttribute } from '../shared/search-attributes';
import { parseReleaseWorkflowId } from '../shared/identifiers';
import { seedStageOfEnvironment, type AuditAction } from '../shared/audit';
import { environmentActionProblem } from '../shared/admission-rules';
import { activities } from './activity-proxies';
import { sendNotification } from './notify';
import { notification, workflowLink } from '../shared/notifications';
import { AdmissionGate, obtainPolicyIfPatched } from './admission';
import { environmentAuditor } from './environment-audit';
import { rootMessage } from './release/compensation';

export async function manualRollback(input: ManualRollbackInput): Promise<ManualRollbackResult> {
  const { environment } = input;
  const info = workflowInfo();
  // Registered before any await: the starter waits on it to learn whether the rollback may run.
  const admission = new AdmissionGate();
  // Rollbacks recorded before the installation owned the policy read none (and were not authorized).
  const installed = await obtainPolicyIfPatched();
  const webUiUrl = installed?.policy.webUiUrl ?? input.webUiUrl ?? '';
  const namespace = installed?.policy.namespace ?? input.namespace ?? 'default';
  const stageWord = seedStageOfEnvironment(
    environment,
    installed?.policy.stagingEnvironment ?? 'staging',
    installed?.policy.productionEnvironment ?? 'production',
  );
  const status: ManualRollbackStatus = {
    environment,
    requestedBy: input.requestedBy,
    fromVersion: null,
    targetVersion: input.version,
    stage: 'RESOLVING',
    waitingFor: null,
    verification: [],
    reason: null,
  };
  let granted = false;
  setHandler(rollbackStatusQuery, () => status);
  setHandler(environmentGrantedSignal, (g) => void (granted ||= g.environment === environment));

  const auditor = environmentAuditor({
    kind: 'rollback',
    stage: stageWord,
    by: input.requestedBy,
    channel: input.channel ?? null,
  });
  const audit = (action: AuditAction, reason: string) =>
    auditor(action, reason, {
      version: status.targetVersion ?? '-',
      internalStage: status.stage,
      fromVersion: status.fromVersion,
      toVersion: status.targetVersion,
    });
  const notify = (title: string, reason: string) =>
    sendNotification(
      notification({
        kind: 'rollback-started',
        workflowId: info.workflowId,
        version: status.targetVersion ?? '-',
        releaseKind: 'standard',
        stage: 'ROLLING_BACK',
        title,
        reason,
        url: workflowLink(webUiUrl, namespace, info.workflowId),
      }),
    );
  const stage = (s: ManualRollbackStatus['stage'], line: string) => {
    status.stage = s;
    upsertSearchAttributes([{ key: ReleaseStageAttribute, value: s }]);
    setCurrentDetails(`**Rollback of ${environment}** to ${status.targetVersion ?? '?'} — **${s}**\n\n${line}`);
  };
  const end = async (ok: boolean, reason: string): Promise<ManualRollbackResult> => {
    status.reason = reason;
    const refused = status.stage === 'RESOLVING';
    stage(ok ? 'ROLLED_BACK' : refused ? 'REFUSED' : 'FAILED', reason);
    await audit(ok ? 'rollback' : refused && installed ? 'refuse' : 'rollback_failed', reason);
    if (!refused || !installed) await notify(`${environment} rollback ${ok ? 'complete' : 'failed'}`, reason);
    return { ok, environment, version: status.targetVersion, verification: status.verification, reason };
  };
  // The refusal is audited before the starter hears of it, so nothing is left to do when it has.
  const refuse = async (problem: string): Promise<ManualRollbackResult> => {
    const result = await end(false, `rollback of ${environment} requested by ${input.requestedBy} refused: ${problem}`);
    admission.refuse(problem);
    await condition(allHandlersFinished);
    return result;
  };

  if (installed) {
    const problem = environmentActionProblem(installed.policy, 'rollback', environment, input.requestedBy);
    if (problem !== null) return refuse(problem);
  }
  // Which version: the named one if it once ran here, else the one before the current.
  const records = await activities('record', `read ${environment} version records`).environmentRecords({ environment });
  const candidates = rollbackCandidates(records);
  status.fromVersion = records.current?.version ?? null;
  if (input.version !== null && !candidates.includes(input.version)) {
    return refuse(
      `${input.version} never ran in ${environment} (or runs there now); versions you can roll back to: ${candidates.join(', ') || 'none recorded'}`,
    );
  }
  status.targetVersion = input.version ?? previousVersion(records);
  if (status.targetVersion === null)
    return refuse(
      `no earlier version of ${environment} is recorded; roll back with --version, or record one with update-sot`,
    );
  const target = status.targetVersion;
  if (installed)
    admission.admit(
      installed,
      `rolling back ${environment} from ${status.fromVersion ?? 'an unrecorded version'} to ${target} (${info.workflowId})`,
    );
  upsertSearchAttributes([{ key: ReleaseVersionAttribute, value: target }]);
  await audit(
    'rollback',
    `manual rollback of ${environment} from ${status.fromVersion ?? 'unknown'} to ${target} requested by ${input.requestedBy}`,
  );

  // Take the environment, cancelling a promotion that holds it.
  const lease = await activities('record', `acquire ${environment}`).acquireEnvironment({
    environment,
    workflowId: info.workflowId,
    purpose: `rollback to ${target}`,
    preempt: true,
  });
  try {
    if (!lease.granted) {
      const holder = lease.holder;
      status.waitingFor = `${environment} held by ${holder?.workflowId ?? 'another change'}${holder && isPromotion(holder.workflowId) ? ', which is being cancelled and compensated first' : ''}`;
      stage('WAITING_FOR_ENVIRONMENT', status.waitingFor);
      if (holder && isPromotion(holder.workflowId))
        await activities('record', `cancel ${holder.workflowId}`).cancelHolder({ workflowId: holder.workflowId });
      await condition(() => granted);
      status.waitingFor = null;
    }
    stage('ROLLING_BACK', `deploying ${target} to ${environment}`);
    await notify(`${environment} rolling back to ${target}`, `requested by ${input.requestedBy}`);
    await activities('deploy', `remove any canary in ${environment}`).removeCanary({ environment });
    await activities('deploy', `deploy ${target}`).deployStable({ environment, version: target });
    stage('VERIFYING', `verifying every service of ${environment} runs ${target} and is healthy`);
    const report = await activities('check', `verify ${environment}`).verifyEnvironment({
      environment,
      expectedVersion: target,
    });
    status.verification = report.services.map((s) => s.line);
    if (!report.ok)
      return await end(
        false,
        `verification failed: ${report.services
          .filter((s) => !s.ok)
          .map((s) => s.line)
          .join('; ')}`,
      );
    await activities('record', 'record rollback').recordVersion({
      environment,
      record: {
        version: target,
        promotedBy: input.requestedBy,
        promotedAt: new Date().toISOString(),
        action: 'rollback',
        workflowId: info.workflowId,
      },
    });
    return await end(
      true,
      `${environment} runs ${target} again (was ${status.fromVersion ?? 'unknown'}): ${status.verification.join(', ')}`,
    );
  } catch (err) {
    return await end(false, `rollback of ${environment} to ${target} failed: ${rootMessage(err)}`);
  } finally {
    await activities('record', `release ${environment}`).releaseEnvironment({
      environment,
      workflowId: info.workflowId,
    });
  }
}

function isPromotion(workflowId: string): boolean {
  return parseReleaseWorkflowId(workflowId) !== null;
}
