// Recording by hand which version runs in an environment (the seed's update-sot step), as a short
// workflow (ID record-<environment>-<time>): the installation's policy decides whether the person may
// record it and whether the environment exists, the environment's ledger records it, and both the
// decision and the record are audited.
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import { environmentActionProblem } from '../shared/admission-rules';
import { seedStageOfEnvironment } from '../shared/audit';
import { versionProblem } from '../shared/identifiers';
import type { ManualRecordInput, ManualRecordResult } from '../shared/ledger';
import { activities } from './activity-proxies';
import { AdmissionGate, obtainPolicy } from './admission';
import { environmentAuditor } from './environment-audit';

export async function manualVersionRecord(input: ManualRecordInput): Promise<ManualRecordResult> {
  const admission = new AdmissionGate();
  const installed = await obtainPolicy(undefined);
  const { environment, version, promotedBy } = input;
  const { policy } = installed;
  const audit = environmentAuditor({
    kind: 'record',
    stage: seedStageOfEnvironment(environment, policy.stagingEnvironment, policy.productionEnvironment),
    by: promotedBy,
    channel: input.channel,
  });
  const facts = (internalStage: string) => ({ version, internalStage, fromVersion: null, toVersion: version });

  const problem =
    versionProblem(version) ??
    environmentActionProblem(policy, 'update-sot', environment, promotedBy) ??
    timeProblem(input.promotedAt);
  if (problem !== null) {
    const reason = `record of ${version} in ${environment} by ${promotedBy} refused: ${problem}`;
    await audit('refuse', reason, facts('REFUSED'));
    admission.refuse(problem);
    await condition(allHandlersFinished);
    return { ok: false, reason, revision: null };
  }
  const records = await activities('record', `record ${version} in ${environment}`).recordVersion({
    environment,
    record: {
      version,
      promotedBy,
      promotedAt: input.promotedAt,
      action: 'manual',
      workflowId: workflowInfo().workflowId,
    },
  });
  const reason = `${environment}: ${version} recorded by hand by ${promotedBy} at ${input.promotedAt} (revision ${records.revision})`;
  await audit('record_version', reason, facts('RECORDED'));
  admission.admit(installed, reason);
  await condition(allHandlersFinished);
  return { ok: true, reason, revision: records.revision };
}

function timeProblem(iso: string): string | null {
  return Number.isNaN(Date.parse(iso)) ? `"${iso}" is not an ISO time like 2025-10-05T12:00:00Z` : null;
}
