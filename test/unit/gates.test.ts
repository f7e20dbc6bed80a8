// Dev and staging gate evaluation, boundaries included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateDevGates, evaluateStagingGates, failedGatesSummary, type DevGateFacts } from '../../src/shared/gates';
import type { DevGatePolicy } from '../../src/shared/policy';

const policy: DevGatePolicy = { minCoveragePct: 80, blockingSeverities: ['critical', 'high'], requireCodeReview: true };
const facts: DevGateFacts = {
  checks: [
    { name: 'build', conclusion: 'success', url: null },
    { name: 'docs', conclusion: 'skipped', url: null },
  ],
  coveragePct: 80,
  coverageSource: 'ci://coverage',
  findings: { critical: 0, high: 0, medium: 3, low: 9 },
  findingsSource: null,
  review: { approved: true, approvers: ['@rev'], changesRequestedBy: [], source: null },
};
const gate =
  (f: Partial<DevGateFacts>, p: Partial<DevGatePolicy> = {}) =>
  (name: string) =>
    evaluateDevGates({ ...facts, ...f }, { ...policy, ...p }).find((g) => g.gate === name)!;

const cases: Array<[string, Partial<DevGateFacts>, Partial<DevGatePolicy>, string, boolean, RegExp]> = [
  ['all passing', {}, {}, 'ci-checks', true, /all 2 CI checks passed/],
  [
    'a failing check',
    {
      checks: [
        { name: 'build', conclusion: 'failure', url: 'u' },
        { name: 'lint', conclusion: 'success', url: null },
      ],
    },
    {},
    'ci-checks',
    false,
    /1 of 2 CI checks not passing: build \(failure\)/,
  ],
  [
    'a pending check',
    { checks: [{ name: 'e2e', conclusion: 'pending', url: null }] },
    {},
    'ci-checks',
    false,
    /e2e \(pending\)/,
  ],
  ['no checks at all', { checks: [] }, {}, 'ci-checks', false, /no CI checks reported/],
  ['coverage exactly 80%', {}, {}, 'unit-coverage', true, /unit coverage 80% ≥ 80% required/],
  ['coverage 79.99%', { coveragePct: 79.99 }, {}, 'unit-coverage', false, /unit coverage 79\.99% < 80% required/],
  ['coverage missing', { coveragePct: null }, {}, 'unit-coverage', false, /not reported/],
  ['medium findings only', {}, {}, 'security-findings', true, /no critical\/high security findings/],
  [
    'one high finding',
    { findings: { critical: 0, high: 1, medium: 0, low: 0 } },
    {},
    'security-findings',
    false,
    /blocking security findings: 1 high/,
  ],
  [
    'critical and high',
    { findings: { critical: 2, high: 1, medium: 0, low: 0 } },
    {},
    'security-findings',
    false,
    /2 critical, 1 high/,
  ],
  [
    'medium blocks when configured',
    {},
    { blockingSeverities: ['critical', 'high', 'medium'] },
    'security-findings',
    false,
    /3 medium/,
  ],
  ['findings missing', { findings: null }, {}, 'security-findings', false, /not reported/],
  ['review approved', {}, {}, 'code-review', true, /approved by @rev/],
  [
    'changes requested',
    { review: { approved: true, approvers: ['@a'], changesRequestedBy: ['@b'], source: null } },
    {},
    'code-review',
    false,
    /changes requested by @b/,
  ],
  [
    'no approving review',
    { review: { approved: false, approvers: [], changesRequestedBy: [], source: null } },
    {},
    'code-review',
    false,
    /no approving review/,
  ],
  ['no pull request', { review: null }, {}, 'code-review', false, /no pull request review/],
  [
    'review not required',
    { review: null },
    { requireCodeReview: false },
    'code-review',
    true,
    /not required by policy/,
  ],
];

for (const [name, f, p, g, passed, reason] of cases) {
  test(`dev gate ${g}: ${name}`, () => {
    const r = gate(f, p)(g);
    assert.equal(r.passed, passed);
    assert.match(r.reason, reason);
  });
}

test('staging gates carry each suite outcome and the summary names the failures', () => {
  const results = evaluateStagingGates({
    e2e: { passed: true, detail: '148/148', evidence: null },
    load: { passed: false, detail: 'p99 1.8 s > 400 ms', evidence: 'x' },
    securityScan: { passed: true, detail: 'clean', evidence: null },
  });
  assert.deepEqual(
    results.map((r) => [r.gate, r.passed]),
    [
      ['e2e-tests', true],
      ['load-tests', false],
      ['security-scan', true],
    ],
  );
  assert.equal(failedGatesSummary(results), 'load-tests: load tests failed: p99 1.8 s > 400 ms');
  assert.equal(failedGatesSummary(results.filter((r) => r.passed)), null);
});
