// The config file: the seed's defaults, durations, and errors that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, releasePolicy } from '../../src/config/load';
import { parseDuration } from '../../src/config/duration';
import { formatDuration } from '../../src/shared/duration-format';
import { commitProblem, versionProblem } from '../../src/shared/identifiers';

test('an empty config is the seed: 80% coverage, 2 h soak, 10% canary for 30 min, 1 pp / 10% / 99.9%', () => {
  const p = releasePolicy(parseConfig({}, 'empty'), 'default');
  assert.equal(p.devGates.minCoveragePct, 80);
  assert.deepEqual(p.devGates.blockingSeverities, ['critical', 'high']);
  assert.equal(p.soak.durationMs, 2 * 3_600_000);
  assert.equal(p.canary.weightPercent, 10);
  assert.equal(p.canary.minDurationMs, 30 * 60_000);
  assert.equal(p.canary.analysisIntervalMs, 60_000);
  assert.equal(p.canary.failureLimit, 1);
  assert.deepEqual(p.canary.thresholds, { maxErrorRateIncreasePp: 1, maxP99IncreasePct: 10, minAvailabilityPct: 99.9, minRequestCount: 100 });
  assert.equal(p.hotfix.requiredApprovals, 2);
  assert.equal(p.stagingEnvironment, 'staging');
  assert.equal(p.productionEnvironment, 'production');
});

test('bad values are named by field with what was expected', () => {
  assert.throws(
    () => parseConfig({ stages: { canary: { minDuration: '30 minutes', failureLimit: 0 } } }, 'bad.yaml'),
    (err: Error) =>
      /invalid config \(bad\.yaml\)/.test(err.message) &&
      /stages\.canary\.minDuration: "30 minutes" is not a duration: expected a number with a unit, like 2h/.test(err.message) &&
      /stages\.canary\.failureLimit:/.test(err.message),
  );
  assert.throws(() => parseConfig({ roles: { RELEASE_APPROVER: ['alice'] } }, 'x'), /roles\.RELEASE_APPROVER\.0: identities look like @username/);
  assert.throws(() => parseConfig({ stages: { canary: { environment: 'prod' } } }, 'x'), /stages\.canary\.environment: environment "prod" is not defined under environments \(defined: staging, production\)/);
});

test('durations', () => {
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('2 hours'), null);
  assert.equal(parseDuration(''), null);
});

test('versions and commits', () => {
  for (const ok of ['v1.2.3', 'v0.0.1', 'v10.20.30-rc.1']) assert.equal(versionProblem(ok), null, ok);
  for (const bad of ['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3.4', 'latest']) assert.match(versionProblem(bad) ?? '', /is not a release version/, bad);
  assert.equal(commitProblem('abc1234'), null);
  assert.match(commitProblem('xyz') ?? '', /not a commit SHA/);
});

test('durations are shown the way people write them', () => {
  assert.equal(formatDuration(7_200_000), '2h');
  assert.equal(formatDuration(9_000_000), '2h30m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(250), '250ms');
});
