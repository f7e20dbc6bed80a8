// What the canary tests on the time-skipping server share: a release approved during its soak, time
// skipped minute by minute until a stage, and scenario files that script the canary's metrics.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReleaseHandle } from '../../src/workflow-api';
import type { ReleaseStage, ReleaseStatus } from '../../src/shared/release';
import type { Scenario } from '../../src/shared/scenarios';
import { HOUR, MINUTE, approve, type Harness } from './release-harness';

/** The built-in healthy canary sample (src/shared/scenarios.ts), the base of every scenario file. */
export const HEALTHY_CANARY = {
  requests: 620,
  errorRatePct: 0.32,
  p99Ms: 184,
  availabilityPct: 99.96,
  queryError: null,
};

/** Starts `version` and approves it as @alice once its soak has begun. */
export async function startApproved(h: Harness, version: string): Promise<ReleaseHandle> {
  const handle = await h.start({ version });
  await h.waitForStage(handle, 'STAGING_SOAK');
  await approve(handle, '@alice');
  return handle;
}

/**
 * Skips workflow time until the release reaches one of the stages: the soak in one jump (when the
 * canary has not started yet), then `stepMs` at a time, failing after `maxMs`.
 */
export async function skipUntil(
  env: TestWorkflowEnvironment,
  h: Harness,
  handle: ReleaseHandle,
  stages: ReleaseStage[],
  { stepMs = MINUTE, maxMs = 3 * HOUR }: { stepMs?: number; maxMs?: number } = {},
): Promise<ReleaseStatus> {
  let s = await h.status(handle);
  if (s.canary.startedAt === null && !stages.includes(s.stage)) {
    await env.sleep(2 * HOUR - MINUTE);
    s = await h.status(handle);
  }
  for (let skipped = 0; !stages.includes(s.stage); skipped += stepMs) {
    if (skipped > maxMs) throw new Error(`release stayed in ${s.stage}; expected ${stages.join(' or ')}`);
    await env.sleep(stepMs);
    s = await h.status(handle);
  }
  return s;
}

/** Writes a scenario JSON file in `dir` (healthy baseline and canary, then `canary`'s steps) and returns its path. */
export function scenarioFile(dir: string, name: string, canary: Scenario['canary']): string {
  const path = join(dir, `${name}.json`);
  const scenario = {
    name,
    description: name,
    baseline: { requests: 6000, errorRatePct: 0.3, p99Ms: 180, availabilityPct: 99.97, queryError: null },
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }, ...canary],
  };
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}
