// The installation's policy: its digest, the fields a client's own policy differs in, and the shape of
// policies recorded by earlier code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, releasePolicy } from '../../src/config/load';
import { policyDigest } from '../../src/config/policy-digest';
import { canonicalJson } from '../../src/shared/canonical-json';
import { configuredPolicyDifferences } from '../../src/config/policy-diff';
import { policyDifferences, upgradeLegacyPolicy, type LegacyReleasePolicy } from '../../src/shared/policy';
import { auditActionFor, seedStageAfter, type SeedStage } from '../../src/shared/audit';
import type { ReleaseStage } from '../../src/shared/release';

const installation = releasePolicy(parseConfig({ roles: { RELEASE_APPROVER: ['@alice'] } }, 'workers'), 'default');

test('the digest covers the rules, not the key order or where the Web UI is', () => {
  assert.match(policyDigest(installation), /^sha256:[0-9a-f]{64}$/);
  const reordered = JSON.parse(canonicalJson(installation)) as typeof installation;
  assert.equal(policyDigest(reordered), policyDigest(installation));
  assert.equal(
    policyDigest({ ...installation, webUiUrl: 'https://temporal.example.com', namespace: 'prod' }),
    policyDigest(installation),
  );
  const looser = {
    ...installation,
    canary: { ...installation.canary, thresholds: { ...installation.canary.thresholds, maxErrorRateIncreasePp: 100 } },
  };
  assert.notEqual(policyDigest(looser), policyDigest(installation));
});

test("a starter's own policy is compared field by field with the installation's", () => {
  const mine = releasePolicy(
    parseConfig(
      {
        roles: { RELEASE_APPROVER: ['@mallory'] },
        stages: {
          staging: { soak: '1s', healthCheckInterval: '1s' },
          canary: { thresholds: { maxErrorRateIncreasePp: 100 } },
        },
      },
      'mine.yaml',
    ),
    'default',
  );
  assert.deepEqual(policyDifferences(mine, installation), [
    { field: 'access.roles.RELEASE_APPROVER', yours: ['@mallory'], installation: ['@alice'] },
    { field: 'canary.thresholds.maxErrorRateIncreasePp', yours: 100, installation: 1 },
    { field: 'soak.durationMs', yours: 1000, installation: 7_200_000 },
    { field: 'soak.healthCheckIntervalMs', yours: 1000, installation: 300_000 },
  ]);
  assert.deepEqual(policyDifferences(installation, installation), []);
});

test('a policy recorded by earlier code (approvers in the approval section) reads as RELEASE_APPROVER holders', () => {
  const { access: _access, environments: _environments, approval, ...rest } = installation;
  const legacy: LegacyReleasePolicy = { ...rest, approval: { ...approval, approvers: ['@bob'] } };
  const upgraded = upgradeLegacyPolicy(legacy);
  assert.deepEqual(upgraded.access.roles, { RELEASE_APPROVER: ['@bob'] });
  assert.deepEqual(upgraded.access.permissions.rollback, ['RELEASE_APPROVER']);
  assert.deepEqual(upgraded.environments, ['staging', 'production']);
  assert.equal('approvers' in upgraded.approval, false);
});

test("audit stages: the seed's words move only when the release is deployed further", () => {
  const path: Array<[ReleaseStage, SeedStage, string]> = [
    ['DEV_GATES', 'dev', 'progress'],
    ['WAITING_FOR_ENVIRONMENT', 'dev', 'progress'],
    ['DEPLOYING_STAGING', 'staging', 'promote'],
    ['STAGING_SOAK', 'staging', 'progress'],
    ['AWAITING_APPROVAL', 'staging', 'progress'],
    ['WAITING_FOR_ENVIRONMENT', 'staging', 'progress'],
    ['CANARY', 'canary', 'promote'],
    ['CANARY_PAUSED', 'canary', 'pause'],
    ['CANARY', 'canary', 'progress'],
    ['PRODUCTION_ROLLOUT', 'production', 'promote'],
    ['PROMOTED', 'production', 'finish'],
  ];
  let at: SeedStage = 'dev';
  for (const [to, seed, action] of path) {
    const next = seedStageAfter(at, to);
    assert.equal(next, seed, `${to}`);
    assert.equal(auditActionFor(at, next, to, to === 'PROMOTED'), action, `${to}`);
    at = next;
  }
  assert.equal(auditActionFor('canary', seedStageAfter('canary', 'ROLLING_BACK'), 'ROLLING_BACK', false), 'rollback');
  assert.equal(seedStageAfter('canary', 'ROLLED_BACK'), 'canary', 'a rolled-back release ends where it was');
  assert.equal(seedStageAfter('dev', 'CANARY'), 'canary', 'a hotfix goes from dev to the canary');
});

test("only what the client's file sets is compared: a file that only says where Temporal is has nothing to disagree with", () => {
  const raw = { temporal: { taskQueue: 'q' }, roles: { RELEASE_APPROVER: ['@mallory'] } };
  const mine = releasePolicy(parseConfig(raw, 'mine.yaml'), 'default');
  assert.deepEqual(
    configuredPolicyDifferences(raw, mine, installation).map((d) => d.field),
    ['access.roles.RELEASE_APPROVER'],
  );
  const bare = { temporal: { taskQueue: 'q' } };
  assert.deepEqual(
    configuredPolicyDifferences(bare, releasePolicy(parseConfig(bare, 'x'), 'default'), installation),
    [],
  );
});
