// One authorization rule per action, decided from the policy: every action × holder, non-holder and
// several allowed roles; the decision rules that call it; what a start and an environment action
// need. Pure functions, so every channel (CLI, Slack, GitHub workflow) gets the same answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIONS,
  ACTION_DESCRIPTIONS,
  authorizationProblem,
  defaultPermissions,
  holdersOf,
  type AccessPolicy,
} from '../../src/shared/authorization';
import {
  cancelProblem,
  canaryRequestProblem,
  pauseDecisionProblem,
  rejectionProblem,
} from '../../src/shared/decision-rules';
import { environmentActionProblem, releaseStartProblem } from '../../src/shared/admission-rules';
import { parseConfig, releasePolicy } from '../../src/config/load';
import type { ReleaseRequest, ReleaseStage } from '../../src/shared/release';

/** Approvers approve, reject and decide on canaries; on call rolls back, cancels and records versions. */
const SPLIT: AccessPolicy = {
  roles: { RELEASE_APPROVER: ['@alice', '@bob'], RELEASE_OPERATOR: ['@oncall'], AUDITOR: ['@audrey'] },
  permissions: {
    ...defaultPermissions(),
    rollback: ['RELEASE_OPERATOR'],
    cancel: ['RELEASE_OPERATOR', 'RELEASE_APPROVER'],
    'update-sot': ['RELEASE_OPERATOR'],
  },
};

for (const action of ACTIONS) {
  test(`authorization: ${action}: a holder of the role may, anyone else is refused naming the role`, () => {
    const allowed = SPLIT.permissions[action];
    const holder = SPLIT.roles[allowed[0]!]![0]!;
    assert.equal(authorizationProblem(SPLIT, action, holder), null);
    const outsider = '@audrey';
    const refusal = authorizationProblem(SPLIT, action, outsider);
    if (allowed.length === 1)
      assert.equal(refusal, `@audrey does not hold ${allowed[0]}, the role needed to ${ACTION_DESCRIPTIONS[action]}`);
    else
      assert.equal(
        refusal,
        `@audrey holds none of ${allowed.join(', ')}, the roles allowed to ${ACTION_DESCRIPTIONS[action]}`,
      );
  });
}

test('authorization: with the default permissions every action needs RELEASE_APPROVER (the seed names one role)', () => {
  const access: AccessPolicy = { roles: { RELEASE_APPROVER: ['@alice'] }, permissions: defaultPermissions() };
  for (const action of ACTIONS) {
    assert.equal(authorizationProblem(access, action, '@alice'), null, action);
    assert.match(
      authorizationProblem(access, action, '@mallory') ?? '',
      /^@mallory does not hold RELEASE_APPROVER, the role needed to /,
      action,
    );
  }
});

test('authorization: a role holder of one action is refused another it is not allowed', () => {
  assert.equal(
    authorizationProblem(SPLIT, 'rollback', '@alice'),
    '@alice does not hold RELEASE_OPERATOR, the role needed to roll back an environment',
  );
  assert.equal(
    authorizationProblem(SPLIT, 'approve', '@oncall'),
    '@oncall does not hold RELEASE_APPROVER, the role needed to approve a canary promotion',
  );
  assert.equal(authorizationProblem(SPLIT, 'cancel', '@alice'), null, 'either of two roles');
  assert.equal(authorizationProblem(SPLIT, 'approve', 'alice'), '"alice" is not an identity: expected @username');
  assert.deepEqual(holdersOf(SPLIT, 'cancel'), ['@alice', '@bob', '@oncall']);
});

test('decision rules: the role is checked first, then the stage and what was decided already', () => {
  const open = { stage: 'STAGING_SOAK' as ReleaseStage, approval: { rejection: null } };
  assert.equal(rejectionProblem(open as never, SPLIT, '@bob', 'flaky'), null);
  assert.match(
    rejectionProblem(open as never, SPLIT, '@oncall', 'flaky') ?? '',
    /@oncall does not hold RELEASE_APPROVER, the role needed to reject a release/,
  );
  assert.match(rejectionProblem(open as never, SPLIT, '@bob', ' ') ?? '', /a rejection needs a reason/);
  assert.match(
    rejectionProblem({ stage: 'CANARY', approval: { rejection: null } } as never, SPLIT, '@bob', 'x') ?? '',
    /only a release waiting for approval can be rejected/,
  );

  assert.equal(pauseDecisionProblem('CANARY_PAUSED', SPLIT, { approver: '@alice', decision: 'resume' }, null), null);
  assert.match(
    pauseDecisionProblem('CANARY_PAUSED', SPLIT, { approver: '@oncall', decision: 'rollback' }, null) ?? '',
    /the role needed to roll back a paused canary/,
  );
  assert.match(
    pauseDecisionProblem('CANARY', SPLIT, { approver: '@alice', decision: 'resume' }, null) ?? '',
    /the canary is not paused \(stage CANARY\)/,
  );
  assert.match(
    pauseDecisionProblem(
      'CANARY_PAUSED',
      SPLIT,
      { approver: '@bob', decision: 'resume' },
      { approver: '@alice', decision: 'rollback' },
    ) ?? '',
    /@alice has already decided: rollback/,
  );
  assert.match(
    pauseDecisionProblem('CANARY_PAUSED', SPLIT, { approver: '@bob', decision: 'maybe' }, null) ?? '',
    /decision must be resume or rollback/,
  );

  assert.equal(cancelProblem('CANARY', SPLIT, '@oncall', null), null);
  assert.match(
    cancelProblem('CANARY', SPLIT, '@audrey', null) ?? '',
    /holds none of RELEASE_OPERATOR, RELEASE_APPROVER, the roles allowed to cancel a release/,
  );
  assert.match(cancelProblem('PROMOTED', SPLIT, '@oncall', null) ?? '', /already ended \(PROMOTED\)/);
  assert.match(cancelProblem('CANARY', SPLIT, '@oncall', '@alice') ?? '', /already being cancelled by @alice/);
  assert.match(cancelProblem('ROLLING_BACK', SPLIT, '@oncall', null) ?? '', /already rolling back/);

  assert.equal(
    canaryRequestProblem('STAGING_SOAK', '@anyone'),
    null,
    'asking for the canary decides nothing: open to anyone',
  );
  assert.match(canaryRequestProblem('CANARY', '@anyone') ?? '', /can no longer be requested/);
});

const policy = (config: Record<string, unknown>) => releasePolicy(parseConfig(config, 'test'), 'default');
const request = (o: Partial<ReleaseRequest> = {}): ReleaseRequest => ({
  kind: 'standard',
  version: 'v1.2.3',
  commitSha: 'abc1234',
  requestedBy: '@dev',
  ciRunId: null,
  ...o,
});

test('admission of a release: somebody must be able to approve it, and hotfix approvers must hold the role', () => {
  const p = policy({ roles: { RELEASE_APPROVER: ['@alice', '@bob'] } });
  assert.equal(releaseStartProblem(request(), p), null);
  assert.match(
    releaseStartProblem(request(), policy({})) ?? '',
    /^nobody can approve it: no one holds RELEASE_APPROVER in the installation's policy/,
  );
  assert.equal(releaseStartProblem(request({ kind: 'hotfix', hotfixApprovers: ['@alice', '@bob'] }), p), null);
  assert.equal(releaseStartProblem(request({ kind: 'hotfix' }), p), null, 'any two holders');
  assert.match(
    releaseStartProblem(request({ kind: 'hotfix', hotfixApprovers: ['@alice', '@mallory'] }), p) ?? '',
    /^cannot ask @mallory to approve the hotfix: @mallory does not hold RELEASE_APPROVER, the role needed to approve a hotfix$/,
  );
  assert.match(
    releaseStartProblem(request({ kind: 'hotfix', requestedBy: '@alice' }), p) ?? '',
    /a hotfix needs 2 approvers other than its requester, and only 1 hold RELEASE_APPROVER \(@bob\)/,
  );
  assert.match(
    releaseStartProblem(request({ kind: 'hotfix', hotfixApprovers: ['@alice', '@alice'] }), p) ?? '',
    /different people/,
  );
  assert.match(releaseStartProblem(request({ version: '1.2.3' }), p) ?? '', /not a release version/);
});

test('admission of a rollback or version record: the role the action needs, and an environment the installation defines', () => {
  const p = policy({
    roles: { RELEASE_APPROVER: ['@alice'], ONCALL: ['@oncall'] },
    permissions: { rollback: 'ONCALL' },
  });
  assert.equal(environmentActionProblem(p, 'rollback', 'production', '@oncall'), null);
  assert.equal(
    environmentActionProblem(p, 'rollback', 'production', '@alice'),
    '@alice does not hold ONCALL, the role needed to roll back an environment',
  );
  assert.equal(environmentActionProblem(p, 'update-sot', 'production', '@alice'), null);
  assert.equal(
    environmentActionProblem(p, 'update-sot', 'prod', '@alice'),
    'unknown environment "prod" (the installation defines: staging, production)',
  );
});

test('every action has words for its refusals', () => {
  for (const action of ACTIONS) assert.ok(ACTION_DESCRIPTIONS[action].length > 0);
});
