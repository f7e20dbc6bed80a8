// The config file: the seed's defaults, durations, and errors that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, releasePolicy } from '../../src/config/load';
import { canarySteps } from '../../src/shared/policy';
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
  assert.deepEqual(p.canary.thresholds, {
    maxErrorRateIncreasePp: 1,
    maxP99IncreasePct: 10,
    minAvailabilityPct: 99.9,
    minRequestCount: 100,
  });
  assert.equal(p.hotfix.requiredApprovals, 2);
  assert.equal(p.stagingEnvironment, 'staging');
  assert.equal(p.productionEnvironment, 'production');
});

test('bad values are named by field with what was expected', () => {
  assert.throws(
    () => parseConfig({ stages: { canary: { minDuration: '30 minutes', failureLimit: 0 } } }, 'bad.yaml'),
    (err: Error) =>
      /invalid config \(bad\.yaml\)/.test(err.message) &&
      /stages\.canary\.minDuration: "30 minutes" is not a duration: expected a number with a unit, like 2h/.test(
        err.message,
      ) &&
      /stages\.canary\.failureLimit:/.test(err.message),
  );
  assert.throws(
    () => parseConfig({ roles: { RELEASE_APPROVER: ['alice'] } }, 'x'),
    /roles\.RELEASE_APPROVER\.0: identities look like @username/,
  );
  assert.throws(
    () => parseConfig({ stages: { canary: { environment: 'prod' } } }, 'x'),
    /stages\.canary\.environment: environment "prod" is not defined under environments \(defined: staging, production\)/,
  );
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
  for (const bad of ['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3.4', 'latest'])
    assert.match(versionProblem(bad) ?? '', /is not a release version/, bad);
  assert.equal(commitProblem('abc1234'), null);
  assert.match(commitProblem('xyz') ?? '', /not a commit SHA/);
});

test('durations are shown the way people write them', () => {
  assert.equal(formatDuration(7_200_000), '2h');
  assert.equal(formatDuration(9_000_000), '2h30m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(250), '250ms');
});

/** The config's error for `raw`, one line per field after the first. */
function configError(raw: unknown): string[] {
  try {
    parseConfig(raw, 'x.yaml');
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error('the config was accepted');
}

test('an unknown key is an error at every level, naming it and the nearest known key', () => {
  const typos: Array<[unknown, string]> = [
    [{ rolez: {} }, 'rolez: unknown key; did you mean "roles"?'],
    [{ temporal: { taskQueu: 'q' } }, 'temporal.taskQueu: unknown key; did you mean "taskQueue"?'],
    [
      { stages: { canary: { minDurations: '30m' } } },
      'stages.canary.minDurations: unknown key; did you mean "minDuration"?',
    ],
    [
      { stages: { canary: { thresholds: { maxErrorRateIncrease: 1 } } } },
      'stages.canary.thresholds.maxErrorRateIncrease: unknown key; did you mean "maxErrorRateIncreasePp"?',
    ],
    [{ stages: { stagin: {} } }, 'stages.stagin: unknown key; did you mean "staging"?'],
    [{ permissions: { rollbak: 'RELEASE_APPROVER' } }, 'permissions.rollbak: unknown key; did you mean "rollback"?'],
    [{ change: { by: '@alice', ref: 'PR 1' } }, 'change.ref: unknown key (known here: by, reference)'],
    [
      { environments: { staging: { services: [{ nmae: 'api' }] } } },
      'environments.staging.services.0.nmae: unknown key; did you mean "name"?',
    ],
    [
      { environments: { production: { target: { type: 'kubernetes', namespace: 'prod', rolloutTimout: '5m' } } } },
      'environments.production.target.rolloutTimout: unknown key; did you mean "rolloutTimeout"?',
    ],
    [
      { metrics: { provider: 'prometheus', baseUrl: 'http://p:9090', windw: '5m' } },
      'metrics.windw: unknown key; did you mean "window"?',
    ],
    [
      { gates: { provider: 'github', repository: 'o/r', e2e: { url: 'http://e2e', timout: '1m' } } },
      'gates.e2e.timout: unknown key; did you mean "timeout"?',
    ],
    [
      { notifications: { provider: 'slack', chanel: 'C123' } },
      'notifications.chanel: unknown key; did you mean "channel"?',
    ],
    [{ slack: { userz: {} } }, 'slack.userz: unknown key; did you mean "users"?'],
    [{ records: { auditdir: 'x' } }, 'records.auditdir: unknown key; did you mean "auditDir"?'],
    [
      { simulation: { whatever: 1 } },
      'simulation.whatever: unknown key (known here: scenario, stateDir, timeScale, rolloutStep)',
    ],
  ];
  for (const [raw, line] of typos)
    assert.ok(configError(raw).includes(line), `${JSON.stringify(raw)} → ${configError(raw).join(' | ')}`);
  // Two unknown keys in one object: one line each.
  assert.deepEqual(configError({ stages: { canary: { minDurations: '1m', weight: 10 } } }), [
    'stages.canary.minDurations: unknown key; did you mean "minDuration"?',
    'stages.canary.weight: unknown key (known here: environment, weightPercent, steps, minDuration, analysisInterval, failureLimit, inconclusiveLimit, pauseReminderInterval, pauseDeadline, shareTolerance, maxShareError, thresholds)',
  ]);
});

test('cross-field rules: each broken one is a line naming the field and both values', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { stages: { staging: { soak: '9h' } } },
      /^stages\.staging\.soak: the soak \(9h\) must not be longer than stages\.staging\.maxTotalSoak \(8h\): no release could pass it$/,
    ],
    [
      { stages: { staging: { soak: '2m', healthCheckInterval: '5m' } } },
      /^stages\.staging\.healthCheckInterval: the health-check interval \(5m\) must not be longer than stages\.staging\.soak \(2m\)/,
    ],
    [
      { stages: { canary: { minDuration: '5m', analysisInterval: '10m' } } },
      /^stages\.canary\.analysisInterval: the analysis interval \(10m\) must not be longer than stages\.canary\.minDuration \(5m\)$/,
    ],
    [
      { stages: { canary: { pauseDeadline: '10m', pauseReminderInterval: '15m' } } },
      /^stages\.canary\.pauseReminderInterval: .*\(15m\) must not be longer than stages\.canary\.pauseDeadline \(10m\)/,
    ],
    [
      { stages: { approval: { deadline: '30m', reminderInterval: '1h' } } },
      /^stages\.approval\.reminderInterval: .*\(1h\) must not be longer than stages\.approval\.deadline \(30m\)/,
    ],
    [
      { stages: { canary: { environment: 'staging' } } },
      /^stages\.canary\.environment: must differ from stages\.staging\.environment \("staging"\)/,
    ],
    [
      { stages: { canary: { shareTolerance: 10 } } },
      /^stages\.canary\.shareTolerance: must be less than the canary's first weight \(10%\): a canary that receives no requests would pass$/,
    ],
    [
      { stages: { canary: { steps: [25, 10] } } },
      /^stages\.canary\.steps: steps must rise, like \[10, 25, 50\] \(got \[25, 10\]\)$/,
    ],
    [
      { stages: { canary: { weightPercent: 20, steps: [10, 25] } } },
      /^stages\.canary\.weightPercent: the first of stages\.canary\.steps \(10\) is the canary's weight/,
    ],
    [
      { permissions: { rollback: 'ONCALL' } },
      /^permissions\.rollback: role ONCALL is not defined under roles \(defined: RELEASE_APPROVER\)$/,
    ],
  ];
  for (const [raw, line] of cases)
    assert.ok(
      configError(raw).some((l) => line.test(l)),
      `${JSON.stringify(raw)} → ${configError(raw).join(' | ')}`,
    );
});

test('canary steps: the first is the weight; omitted, one step at weightPercent', () => {
  const stepped = releasePolicy(parseConfig({ stages: { canary: { steps: [10, 25, 50] } } }, 'x'), 'default');
  assert.deepEqual(canarySteps(stepped.canary), [10, 25, 50]);
  assert.equal(stepped.canary.weightPercent, 10);
  const seed = releasePolicy(parseConfig({}, 'x'), 'default');
  assert.deepEqual(canarySteps(seed.canary), [10]);
  assert.equal(seed.canary.steps, undefined);
});

test('a duration written as a number says how to write a duration', () => {
  assert.deepEqual(configError({ stages: { staging: { soak: 7200 } } }), [
    'stages.staging.soak: 7200 is a number, not a duration: write it with its unit, like 2h, 30m, 90s or 1h30m (quotes are not needed in YAML)',
  ]);
});

test('roles and permissions: RELEASE_APPROVER always exists; an action not listed needs it; a permission may name several roles', () => {
  const config = parseConfig(
    { roles: { RELEASE_OPERATOR: ['@oncall'] }, permissions: { rollback: ['RELEASE_APPROVER', 'RELEASE_OPERATOR'] } },
    'x',
  );
  assert.deepEqual(config.roles, { RELEASE_APPROVER: [], RELEASE_OPERATOR: ['@oncall'] });
  assert.deepEqual(config.permissions.rollback, ['RELEASE_APPROVER', 'RELEASE_OPERATOR']);
  assert.deepEqual(config.permissions.approve, ['RELEASE_APPROVER']);
  assert.match(
    configError({ roles: { approvers: ['@a'] } }).join('\n'),
    /roles\.approvers: "approvers" is not a role name: role names are upper-case words, like RELEASE_APPROVER/,
  );
});
