// The first step of every workflow a person starts: obtain the installation's policy from the worker
// (a local activity, so it is recorded in the history and replays from there) and decide whether the
// start is allowed. The starter waits on the admission update, so a refusal reaches them at once.
import {
  ApplicationFailure,
  condition,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { admissionUpdate, REFUSED_ERROR_TYPE, type Admission } from '../shared/messages';
import { upgradeLegacyPolicy, type InstalledPolicy, type LegacyReleasePolicy } from '../shared/policy';
import type { ReleaseActivities } from '../activities';

const local = proxyLocalActivities<ReleaseActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
  summary: "read the installation's policy",
});

/** Patch marker of the change that moved the policy from the starter's input to the installation. */
export const INSTALLATION_POLICY_PATCH = 'installation-policy';

export class AdmissionGate {
  private verdict: { admitted: Admission } | { refused: string } | null = null;

  /** Registers the admission update: call first thing, so an update sent with the start finds it. */
  constructor() {
    setHandler(admissionUpdate, async () => {
      await condition(() => this.verdict !== null);
      const v = this.verdict!;
      if ('refused' in v)
        throw ApplicationFailure.create({ type: REFUSED_ERROR_TYPE, message: v.refused, nonRetryable: true });
      return v.admitted;
    });
  }

  admit(installed: { policy: InstalledPolicy['policy']; digest: string | null }, message: string): void {
    const { workflowId, runId } = workflowInfo();
    this.verdict = {
      admitted: { workflowId, runId, policy: installed.policy, policyDigest: installed.digest, message },
    };
  }

  refuse(reason: string): void {
    this.verdict = { refused: reason };
  }
}

/**
 * The policy this run is judged by. Runs started by earlier code carried the starter's policy in
 * their input and must replay with it; every run started now asks its worker for the installation's.
 */
export async function obtainPolicy(
  legacy: LegacyReleasePolicy | undefined,
): Promise<{ policy: InstalledPolicy['policy']; digest: string | null }> {
  if (legacy !== undefined && !patched(INSTALLATION_POLICY_PATCH))
    return { policy: upgradeLegacyPolicy(legacy), digest: null };
  return local.installationPolicy();
}

/** For workflows whose earlier runs read no policy at all (manual rollbacks): null when replaying one of those. */
export async function obtainPolicyIfPatched(): Promise<InstalledPolicy | null> {
  return patched(INSTALLATION_POLICY_PATCH) ? local.installationPolicy() : null;
}
