// One promotion per version: what a start does given the version's latest runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rerunDecision, type RunSummary } from '../../src/shared/rerun';

const SHA = 'abc1234def5678';
const OTHER = 'fff9999def5678';
const run = (o: Partial<RunSummary> = {}): RunSummary => ({
  workflowId: 'release-v1.2.3',
  runId: 'run-1',
  running: false,
  commitSha: SHA,
  stage: null,
  outcome: 'PROMOTED',
  reason: 'v1.2.3 serves 100% of production',
  startedAt: '2025-10-05T10:00:00.000Z',
  finishedAt: '2025-10-05T13:00:00.000Z',
  ...o,
});
const standard = (o: Partial<{ commitSha: string; again: boolean; kind: 'standard' | 'hotfix' }> = {}) => ({
  kind: 'standard' as const,
  commitSha: SHA,
  again: false,
  ...o,
});

const cases: Array<
  [string, RunSummary[], ReturnType<typeof standard>, 'start' | 'existing' | 'refuse', RegExp | null]
> = [
  ['never promoted', [], standard(), 'start', null],
  [
    'running from the same commit: a CI re-run',
    [run({ running: true, outcome: null, stage: 'STAGING_SOAK' })],
    standard(),
    'existing',
    /^v1\.2\.3 is already being promoted from abc1234def56 \(release-v1\.2\.3, STAGING_SOAK\); nothing started$/,
  ],
  [
    'running from another commit',
    [run({ running: true, outcome: null })],
    standard({ commitSha: OTHER }),
    'refuse',
    /already being promoted \(release-v1\.2\.3 is running, from commit abc1234def56\)/,
  ],
  [
    'a hotfix of it running',
    [run({ workflowId: 'hotfix-v1.2.3', running: true, outcome: null })],
    standard(),
    'refuse',
    /hotfix-v1\.2\.3 is running/,
  ],
  [
    'promoted from the same commit: the re-run prints the result',
    [run()],
    standard(),
    'existing',
    /^v1\.2\.3 was already promoted from abc1234def56 at 2025-10-05T13:00:00\.000Z \(release-v1\.2\.3\): PROMOTED — v1\.2\.3 serves 100% of production; nothing started \(to promote it again on purpose: --again\)$/,
  ],
  [
    'promoted from another commit',
    [run()],
    standard({ commitSha: OTHER }),
    'refuse',
    /was already promoted from commit abc1234def56 .*a version is promoted once: tag a new version, or pass --again/,
  ],
  ['promoted, asked --again', [run()], standard({ again: true }), 'start', null],
  ['rolled back: promoted again', [run({ outcome: 'ROLLED_BACK' })], standard(), 'start', null],
  ['rejected: promoted again', [run({ outcome: 'REJECTED' })], standard({ commitSha: OTHER }), 'start', null],
  ['refused: started again', [run({ outcome: 'REFUSED' })], standard(), 'start', null],
  ['terminated by Temporal: started again', [run({ outcome: 'TERMINATED' })], standard(), 'start', null],
  [
    'the latest run decides: a hotfix promoted after a rejected release',
    [run({ outcome: 'REJECTED' }), run({ workflowId: 'hotfix-v1.2.3', startedAt: '2025-10-06T10:00:00.000Z' })],
    standard(),
    'existing',
    /hotfix-v1\.2\.3\): PROMOTED/,
  ],
];

for (const [name, runs, req, action, message] of cases) {
  test(`re-run: ${name} → ${action}`, () => {
    const decision = rerunDecision(runs, req, 'v1.2.3');
    assert.equal(decision.action, action);
    if (message) assert.match('message' in decision ? decision.message : '', message);
    if (decision.action === 'start')
      assert.equal(decision.repeatOf !== null, req.again && runs.some((r) => r.outcome === 'PROMOTED'));
  });
}

test('re-run: --again names the earlier promoted run, for the audit trail', () => {
  const decision = rerunDecision([run()], standard({ again: true }), 'v1.2.3');
  assert.deepEqual(decision, {
    action: 'start',
    repeatOf: {
      workflowId: 'release-v1.2.3',
      runId: 'run-1',
      outcome: 'PROMOTED',
      finishedAt: '2025-10-05T13:00:00.000Z',
    },
  });
});
