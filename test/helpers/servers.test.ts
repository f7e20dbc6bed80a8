// The real Temporal servers start from the pinned cache and carry the release search attributes.
// Run: node --import tsx --test test/helpers/servers.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseSearchAttributes } from '../../src/shared/search-attributes';
import { createDevEnv, createTimeSkippingEnv } from './temporal-env';

async function customSearchAttributes(env: TestWorkflowEnvironment): Promise<Record<string, number>> {
  const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  return Object.fromEntries(Object.entries(customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

void describe('time-skipping test server (Java)', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  void it('skips time: env.sleep("2h") returns at once', async () => {
    const started = Date.now();
    await env.sleep('2h');
    assert.ok(Date.now() - started < 5_000, `sleep took ${Date.now() - started} ms`);
  });

  // This server has no ListSearchAttributes: prove registration by using the attributes.
  void it('accepts the release search attributes (and rejects unregistered ones)', async () => {
    const typedSearchAttributes = releaseSearchAttributes.map((key) => ({ key, value: `v-${key.name}` }));
    const handle = await env.client.workflow.start('neverRuns', {
      taskQueue: 'servers-test-no-worker',
      workflowId: `servers-test-${Date.now()}`,
      typedSearchAttributes,
    });
    const description = await handle.describe();
    for (const key of releaseSearchAttributes) {
      assert.equal(description.typedSearchAttributes.get(key), `v-${key.name}`, key.name);
    }
    await handle.terminate();

    await assert.rejects(
      env.client.workflow.start('neverRuns', {
        taskQueue: 'servers-test-no-worker',
        workflowId: `servers-test-unregistered-${Date.now()}`,
        typedSearchAttributes: [
          { key: defineSearchAttributeKey('NotRegistered', SearchAttributeType.KEYWORD), value: 'x' },
        ],
      }),
    );
  });
});

void describe('dev server (Temporal CLI)', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createDevEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  void it('has the release search attributes registered as Keyword', async () => {
    const attributes = await customSearchAttributes(env);
    for (const key of releaseSearchAttributes) assert.equal(attributes[key.name], KEYWORD, key.name);
  });
});
