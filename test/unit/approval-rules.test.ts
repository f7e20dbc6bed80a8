// Approval rules: role, separation of duties, distinct approvers, stage and asked approvers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approvalProblem,
  approvalProgress,
  approvalsComplete,
  type ApprovalContext,
} from '../../src/shared/approval-rules';
import type { ApprovalRecord, ApprovalState } from '../../src/shared/release';
import { defaultPermissions, type AccessPolicy } from '../../src/shared/authorization';

const approvers = (...who: string[]): AccessPolicy => ({
  roles: { RELEASE_APPROVER: who },
  permissions: defaultPermissions(),
});

const record = (approver: string): ApprovalRecord => ({
  approver,
  channel: 'cli',
  at: '2025-10-05T12:00:00Z',
  subject: 'hotfix',
  note: null,
  notBefore: null,
});
const state = (o: Partial<ApprovalState> = {}): ApprovalState => ({
  requestedAt: null,
  requestedBy: null,
  required: 1,
  asked: [],
  approvals: [],
  rejection: null,
  notBefore: null,
  deadlineAt: null,
  ...o,
});
const ctx = (o: Partial<ApprovalContext> = {}): ApprovalContext => ({
  kind: 'standard',
  stage: 'STAGING_SOAK',
  requestedBy: '@dev',
  access: approvers('@alice', '@bob', '@dev'),
  separationOfDuties: true,
  approval: state(),
  ...o,
});

const cases: Array<[string, ApprovalContext, string, string | null, RegExp | null]> = [
  ['an approver during the soak', ctx(), '@alice', null, null],
  ['an approver after the soak', ctx({ stage: 'AWAITING_APPROVAL' }), '@alice', null, null],
  ['not an identity', ctx(), 'alice', null, /not an identity/],
  [
    'not an approver',
    ctx(),
    '@mallory',
    null,
    /@mallory does not hold RELEASE_APPROVER, the role needed to approve a canary promotion/,
  ],
  ['the requester', ctx(), '@dev', null, /@dev started this release and may not approve it/],
  ['the requester when separation of duties is off', ctx({ separationOfDuties: false }), '@dev', null, null],
  ['in the canary', ctx({ stage: 'CANARY' }), '@alice', null, /is CANARY; it is not waiting for approval/],
  [
    'after a rejection',
    ctx({ approval: state({ rejection: { ...record('@bob'), subject: 'reject' } }) }),
    '@alice',
    null,
    /already rejected by @bob/,
  ],
  ['twice', ctx({ approval: state({ approvals: [record('@alice')] }) }), '@alice', null, /already approved/],
  [
    'hotfix: second distinct approver',
    ctx({
      kind: 'hotfix',
      stage: 'AWAITING_APPROVAL',
      approval: state({ required: 2, approvals: [record('@alice')] }),
    }),
    '@bob',
    null,
    null,
  ],
  [
    'hotfix: same approver twice',
    ctx({
      kind: 'hotfix',
      stage: 'AWAITING_APPROVAL',
      approval: state({ required: 2, approvals: [record('@alice')] }),
    }),
    '@alice',
    null,
    /next approval must come from a different person/,
  ],
  [
    'hotfix: the requester',
    ctx({ kind: 'hotfix', stage: 'AWAITING_APPROVAL', approval: state({ required: 2 }) }),
    '@dev',
    null,
    /started this hotfix/,
  ],
  [
    'hotfix: the requester even when separation of duties is off',
    ctx({ kind: 'hotfix', stage: 'AWAITING_APPROVAL', separationOfDuties: false, approval: state({ required: 2 }) }),
    '@dev',
    null,
    /@dev started this hotfix and may not approve it/,
  ],
  [
    'hotfix: not one of the asked',
    ctx({ kind: 'hotfix', stage: 'AWAITING_APPROVAL', approval: state({ required: 2, asked: ['@alice', '@bob'] }) }),
    '@dev',
    null,
    /started this hotfix/,
  ],
  [
    'hotfix: approver not asked',
    ctx({
      kind: 'hotfix',
      stage: 'AWAITING_APPROVAL',
      access: approvers('@alice', '@bob', '@carol'),
      approval: state({ required: 2, asked: ['@alice', '@bob'] }),
    }),
    '@carol',
    null,
    /@carol was not asked to approve; the approvers asked are @alice and @bob/,
  ],
  ['a bad not-before time', ctx(), '@alice', 'tomorrow', /not a time/],
  ['a valid not-before time', ctx(), '@alice', '2025-10-05T14:00:00Z', null],
];

for (const [name, c, approver, notBefore, expected] of cases) {
  test(`approval: ${name}`, () => {
    const problem = approvalProblem(c, { approver, notBefore });
    if (expected === null) assert.equal(problem, null);
    else assert.match(problem ?? '', expected);
  });
}

test('approval progress and completeness', () => {
  const s = state({ required: 2, asked: ['@alice', '@bob'], approvals: [record('@alice')] });
  assert.equal(approvalProgress(s), '1 of 2 approvals (@alice); waiting for @bob');
  assert.equal(approvalsComplete(s), false);
  assert.equal(approvalsComplete({ ...s, approvals: [record('@alice'), record('@bob')] }), true);
  assert.equal(
    approvalsComplete({ ...s, approvals: [record('@alice'), record('@bob')], rejection: record('@carol') }),
    false,
  );
});
