// Workflows are started and read through typed definitions (src/workflow-api): each names a workflow
// the workers export, with the signature they implement, so a renamed workflow or a changed input
// fails to compile where it is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import * as workflows from '../../src/workflows';
import {
  EnvironmentLedger,
  EnvironmentVerification,
  HotfixPromotion,
  ManualRollback,
  ManualVersionRecord,
  ReleasePromotion,
  startWorkflow,
  workflowHandle,
  type WorkflowTypes,
} from '../../src/workflow-api';

// Compile-time: the workers export every workflow a definition names, with the signature it gives.
const implementations: WorkflowTypes = workflows;

test('every definition names a workflow the workers export', () => {
  const definitions = [
    ReleasePromotion,
    HotfixPromotion,
    EnvironmentLedger,
    ManualRollback,
    ManualVersionRecord,
    EnvironmentVerification,
  ];
  for (const d of definitions) assert.equal(typeof implementations[d.workflowType], 'function', d.workflowType);
  const exported = Object.entries(workflows)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort();
  assert.deepEqual(
    exported,
    definitions.map((d) => d.workflowType).sort(),
    'and every exported workflow has a definition',
  );
});

test('a wrong argument or result type fails to compile', () => {
  // Never called: the type checker (npm test's typecheck step) reads these lines, and fails when a
  // line marked as an expected error compiles.
  const wrong = async (client: Client) => {
    const input = { kind: 'standard', version: 123, commitSha: 'abc1234', requestedBy: '@dev', ciRunId: null } as const;
    // @ts-expect-error a version is a string
    await startWorkflow(client, ReleasePromotion, { workflowId: 'release-v1.2.3', taskQueue: 'q', args: [input] });
    // @ts-expect-error the ledger takes an environment, not a release
    await startWorkflow(client, EnvironmentLedger, { workflowId: 'x', taskQueue: 'q', args: [{ version: 'v1.2.3' }] });
    const rollback = await workflowHandle(client, ManualRollback, 'rollback-x').result();
    // @ts-expect-error a rollback's result has no outcome (it has ok)
    void rollback.outcome;
  };
  assert.equal(typeof wrong, 'function');
});
