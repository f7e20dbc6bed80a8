// Replays every recorded history under test/histories (binary protobuf) with the current workflow code: a change that
// would break releases already in flight (non-determinism) fails here. Record new histories with
// scripts/record-histories.ts; keep the old ones while releases recorded by old code may still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../helpers/workflow-bundle';
import { installTestRuntime } from '../helpers/temporal-env';

// The top level holds the first recorded generation; each later one (scripts/record-histories.ts
// <generation>) is a folder of its own. All of them must replay: releases of each may still be running.
const DIR = join(__dirname, '..', 'histories');
const files = readdirSync(DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.binpb'))
  .sort();
const load = (file: string) => temporal.api.history.v1.History.decode(readFileSync(join(DIR, file)));

test('recorded histories exist for every workflow type', () => {
  const types = new Set(
    files.map((f) => {
      return load(f).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    }),
  );
  for (const type of [
    'releasePromotion',
    'hotfixPromotion',
    'manualRollback',
    'environmentLedger',
    'manualVersionRecord',
  ])
    assert.ok(types.has(type), `no recorded history of ${type}`);
});

for (const file of files) {
  test(`replays ${file} deterministically`, async () => {
    installTestRuntime();
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      load(file),
      file.replace(/\.binpb$/, '').replace(/\//g, '-'),
    );
  });
}
