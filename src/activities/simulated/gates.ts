// Simulated gate answers: every gate passes unless the scenario names it as failing.
import type { GateProvider, StagingRelease } from '../ports';
import type { DevGateFacts, StagingSuite, SuiteOutcome } from '../../shared/gates';
import type { Scenario } from '../../shared/scenarios';

/** What each suite answers when it passes and when the scenario makes it fail. */
const SUITE_ANSWERS: Record<StagingSuite, [passed: string, failed: string]> = {
  'e2e-tests': ['148/148 scenarios passed', '3/148 scenarios failed (checkout, login, search)'],
  'load-tests': ['p99 212 ms at 500 rps, 0.02% errors', 'p99 1.8 s at 500 rps exceeds 400 ms budget'],
  'security-scan': ['no critical or high findings', '1 high finding: CVE-2025-1234 in libxml2'],
};

export class SimulatedGates implements GateProvider {
  constructor(private readonly scenario: Scenario) {}

  devGateFacts(release: { version: string; commitSha: string }): Promise<DevGateFacts> {
    const failing = new Set(this.scenario.failingGates);
    const sha = release.commitSha;
    return Promise.resolve({
      checks: [
        {
          name: 'build',
          conclusion: failing.has('ci-checks') ? 'failure' : 'success',
          url: `simulated://ci/${sha}/build`,
        },
        { name: 'unit-tests', conclusion: 'success', url: `simulated://ci/${sha}/unit-tests` },
        { name: 'lint', conclusion: 'success', url: `simulated://ci/${sha}/lint` },
      ],
      coveragePct: failing.has('unit-coverage') ? 72 : 86.4,
      coverageSource: `simulated://ci/${sha}/coverage`,
      findings: { critical: 0, high: failing.has('security-findings') ? 1 : 0, medium: 2, low: 5 },
      findingsSource: `simulated://security/${sha}`,
      review: failing.has('code-review')
        ? { approved: false, approvers: [], changesRequestedBy: [], source: `simulated://pulls/${sha}` }
        : { approved: true, approvers: ['@reviewer'], changesRequestedBy: [], source: `simulated://pulls/${sha}` },
    });
  }

  stagingSuite(suite: StagingSuite, release: StagingRelease): Promise<SuiteOutcome> {
    const failing = this.scenario.failingGates.includes(suite);
    const [ok, bad] = SUITE_ANSWERS[suite];
    return Promise.resolve({
      passed: !failing,
      detail: failing ? bad : ok,
      evidence: `simulated://${release.environment}/${release.version}/${suite}`,
    });
  }
}
