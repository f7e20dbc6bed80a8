// `release-promote verify` (and verify-rollback.sh): every service of an environment runs the expected
// version, is healthy and has no canary left. Run by a worker, which has the cluster credentials and
// the installation's environments, so the person asking needs neither. Reads only: open to anyone.
import type { VerificationOutcome, VerificationRequest } from '../shared/verification';
import { activities } from './activity-proxies';
import { obtainPolicy } from './admission';

export async function environmentVerification(input: VerificationRequest): Promise<VerificationOutcome> {
  const { policy } = await obtainPolicy(undefined);
  const { environment } = input;
  if (!policy.environments.includes(environment)) {
    return {
      refused: `unknown environment "${environment}" (the installation defines: ${policy.environments.join(', ')})`,
      report: null,
    };
  }
  const expected =
    input.version ??
    (await activities('record', `read ${environment} version records`).environmentRecords({ environment })).current
      ?.version;
  if (!expected) return { refused: `no version is recorded for ${environment}; pass --version`, report: null };
  const report = await activities('check', `verify ${environment} runs ${expected}`).verifyEnvironment({
    environment,
    expectedVersion: expected,
  });
  return { refused: null, report };
}
