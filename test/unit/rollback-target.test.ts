// What a manual rollback targets and what its verification accepts: pure rules, every case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  previousVersion,
  rollbackCandidates,
  type EnvironmentRecords,
  type VersionRecord,
} from '../../src/shared/ledger';
import { verifyServices } from '../../src/shared/verification';
import type { ServiceHealth } from '../../src/shared/release';

/** Records from a history written oldest first, e.g. ['v1 promote', 'v2 promote', 'v1 rollback']. */
function records(...history: string[]): EnvironmentRecords {
  const runs = history.map((h, i): VersionRecord => {
    const [version, action] = h.split(' ') as [string, VersionRecord['action']];
    return {
      version,
      action,
      promotedBy: '@ci',
      promotedAt: new Date(Date.UTC(2025, 9, 1, i)).toISOString(),
      workflowId: null,
    };
  });
  const newestFirst = runs.reverse();
  return {
    environment: 'production',
    revision: runs.length,
    current: newestFirst[0] ?? null,
    previous: newestFirst.slice(1),
    lease: null,
    queue: [],
  };
}

const cases: Array<[string, string[], string | null]> = [
  ['nothing recorded', [], null],
  ['only the current version', ['v1 promote'], null],
  ['two promotions: the one before', ['v1 promote', 'v2 promote'], 'v1'],
  [
    'after a rollback: the version before the restored one, not the one rolled away from',
    ['v1 promote', 'v2 promote', 'v3 promote', 'v2 rollback'],
    'v1',
  ],
  [
    'two rollbacks in a row walk further back',
    ['v1 promote', 'v2 promote', 'v3 promote', 'v2 rollback', 'v1 rollback'],
    null,
  ],
  [
    'a rolled-back version promoted again later counts again',
    ['v1 promote', 'v2 promote', 'v1 rollback', 'v2 promote', 'v3 promote'],
    'v2',
  ],
  ['a rollback to a version only set by update-sot', ['v1 manual', 'v2 promote', 'v1 rollback'], null],
  [
    'a rollback to a version with no earlier record falls back to the one before it',
    ['v2 promote', 'v3 promote', 'v1 rollback'],
    'v3',
  ],
  ['the same version twice in a row is skipped', ['v1 promote', 'v2 promote', 'v2 manual'], 'v1'],
];

for (const [name, history, expected] of cases) {
  test(`previous version: ${name} → ${expected ?? 'none'}`, () => {
    assert.equal(previousVersion(records(...history)), expected);
  });
}

test('rollback candidates: every earlier version once, never the current one', () => {
  assert.deepEqual(rollbackCandidates(records('v1 promote', 'v2 promote', 'v3 promote', 'v2 rollback')), ['v3', 'v1']);
  assert.deepEqual(rollbackCandidates(records()), []);
});

const SERVICES = ['api-gateway', 'orchestrator', 'workers'];
const on = (version: string, healthy = true): ServiceHealth[] =>
  SERVICES.map((service) => ({ service, version, healthy, detail: healthy ? 'ready' : 'readiness 0/1' }));

test('verification: every service on the expected version and healthy passes, one line each as the seed shows', () => {
  const report = verifyServices('production', 'v1.2.2', SERVICES, on('v1.2.2'), []);
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.services.map((s) => s.line),
    ['✓ api-gateway: v1.2.2 (healthy)', '✓ orchestrator: v1.2.2 (healthy)', '✓ workers: v1.2.2 (healthy)'],
  );
});

test('verification: a wrong version, an unhealthy or missing service, or a canary left beside it fails', () => {
  const wrong = verifyServices('production', 'v1.2.2', SERVICES, on('v1.2.3'), []);
  assert.equal(wrong.ok, false);
  assert.equal(wrong.services[0]!.line, '✗ api-gateway: v1.2.3 (healthy, expected v1.2.2)');
  const sick = verifyServices('production', 'v1.2.2', SERVICES, on('v1.2.2', false), []);
  assert.equal(sick.services[2]!.line, '✗ workers: v1.2.2 (unhealthy: readiness 0/1)');
  const missing = verifyServices('production', 'v1.2.2', SERVICES, on('v1.2.2').slice(0, 2), []);
  assert.equal(missing.services[2]!.line, '✗ workers: - (not found)');
  const canary = verifyServices('production', 'v1.2.2', SERVICES, on('v1.2.2'), on('v2.0.0').slice(0, 1));
  assert.equal(canary.ok, false);
  assert.equal(canary.services[0]!.line, '✗ api-gateway: v1.2.2 (healthy, canary v2.0.0 still deployed)');
  assert.equal(canary.services[1]!.ok, true);
});
