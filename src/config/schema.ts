// The config file (release-promote.yaml). Every default is the seed's (RELEASE-PROMOTE.md), so an
// empty file describes the documented process exactly.
import { recordsSchema } from './records-schema';
import { z } from 'zod';
import { durationMs } from './duration';
import { strictObject } from './strict';
import { DEFAULT_TASK_QUEUE, environmentProblem } from '../shared/identifiers';
import { formatDuration } from '../shared/duration-format';
import { ACTIONS, DEFAULT_ROLE, type Action } from '../shared/authorization';
import {
  environmentSchema,
  gatesSchema,
  metricsSchema,
  notificationsSchema,
  simulationSchema,
  slackGatewaySchema,
} from './integrations-schema';

const identity = z.string().regex(/^@[A-Za-z0-9][A-Za-z0-9._-]*$/, 'identities look like @username');
const percent = z.number().min(0).max(100);
const roleName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'role names are upper-case words, like RELEASE_APPROVER');
/** One role or several (holding any of them is enough). */
const allowedRoles = z.union([roleName, z.array(roleName).min(1, 'name at least one role')]).optional();

export const configSchema = strictObject({
  temporal: strictObject({
    taskQueue: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    /** Base URL of the Temporal Web UI, used for links in notifications and the CLI. */
    webUiUrl: z.string().url().default('http://localhost:8233'),
  }).prefault({}),
  /** Role name → identities holding it. RELEASE_APPROVER is the seed's role; others may be added for `permissions`. */
  roles: z
    .record(z.string(), z.array(identity))
    // Checked here rather than as the record's key schema, whose failure hides this message.
    .superRefine((roles, ctx) => {
      for (const name of Object.keys(roles)) {
        const problem = roleName.safeParse(name);
        if (!problem.success)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `"${name}" is not a role name: role names are upper-case words, like RELEASE_APPROVER`,
          });
      }
    })
    .prefault({})
    .transform((roles) => ({ [DEFAULT_ROLE]: [], ...roles })),
  /**
   * Action → the role (or roles) allowed to do it; every action not listed needs RELEASE_APPROVER.
   * Actions: approve, hotfix-approve, reject, resume, abort, cancel, rollback, update-sot.
   */
  permissions: strictObject({
    /** Approve a canary promotion. */
    approve: allowedRoles,
    /** Approve a hotfix (each of its approvers). */
    'hotfix-approve': allowedRoles,
    /** Reject a release before its canary. */
    reject: allowedRoles,
    /** Resume a paused canary. */
    resume: allowedRoles,
    /** Roll back a paused canary (abort). */
    abort: allowedRoles,
    /** Cancel a release (what reached production is undone first). */
    cancel: allowedRoles,
    /** Roll an environment back (rollback.sh, /release rollback). */
    rollback: allowedRoles,
    /** Record by hand which version runs in an environment (update-sot.sh). */
    'update-sot': allowedRoles,
  })
    .prefault({})
    .transform(
      (given) =>
        Object.fromEntries(ACTIONS.map((a) => [a, toList(given[a] ?? DEFAULT_ROLE)])) as Record<Action, string[]>,
    ),
  /** Who made this version of the config and where it was reviewed; recorded when the policy changes. Not part of the policy. */
  change: strictObject({
    /** The identity of whoever made this version of the config. */
    by: identity,
    /** Where the change was reviewed, like a pull request's URL. */
    reference: z.string().min(1).optional(),
  }).optional(),
  stages: strictObject({
    dev: strictObject({
      minCoveragePct: percent.default(80),
      blockingSeverities: z.array(z.enum(['critical', 'high', 'medium', 'low'])).default(['critical', 'high']),
      requireCodeReview: z.boolean().default(true),
    }).prefault({}),
    staging: strictObject({
      environment: z.string().default('staging'),
      soak: durationMs.prefault('2h'),
      healthCheckInterval: durationMs.prefault('5m'),
      maxTotalSoak: durationMs.prefault('8h'),
    }).prefault({}),
    approval: strictObject({
      separationOfDuties: z.boolean().default(true),
      reminderInterval: durationMs.prefault('1h'),
      /** Reject the release when nobody decides within this time of the request; omit to wait forever. */
      deadline: durationMs.optional(),
    }).prefault({}),
    canary: strictObject({
      environment: z.string().default('production'),
      weightPercent: z.number().int().min(1).max(50).default(10),
      /**
       * Progressive steps: the canary's weight at each, rising, each held for minDuration and judged
       * before the next; then production gets everything. Omitted: one step at weightPercent (the
       * seed's 10%). The first step is the canary's weight.
       */
      steps: z.array(z.number().int().min(1).max(99)).min(1).max(10).optional(),
      minDuration: durationMs.prefault('30m'),
      analysisInterval: durationMs.prefault('1m'),
      failureLimit: z.number().int().min(1).default(1),
      inconclusiveLimit: z.number().int().min(1).default(3),
      pauseReminderInterval: durationMs.prefault('15m'),
      /** A canary paused this long without a decision is rolled back (a 10% canary nobody tends is a risk); null waits forever (the release continues as new every few hours). */
      pauseDeadline: durationMs.nullable().prefault('24h'),
      /**
       * How far each service's observed share of requests (canary / all) may be from the weight, in
       * percentage points, before an evaluation is inconclusive. null: half the weight either way.
       */
      shareTolerance: z.number().positive().max(50).nullable().default(null),
      /**
       * With replicas routing: the most the achievable share (a ratio of pods) may miss the weight
       * by, in percentage points; a service whose pod count cannot do better is refused before the canary.
       */
      maxShareError: z.number().min(0).max(50).default(5),
      thresholds: strictObject({
        maxErrorRateIncreasePp: z.number().positive().default(1),
        maxP99IncreasePct: z.number().positive().default(10),
        minAvailabilityPct: percent.default(99.9),
        minRequestCount: z.number().int().min(0).default(100),
      }).prefault({}),
    }).prefault({}),
    hotfix: strictObject({ requiredApprovals: z.number().int().min(2).default(2) }).prefault({}),
  }).prefault({}),
  environments: z.record(z.string(), environmentSchema).prefault({ staging: {}, production: {} }),
  simulation: simulationSchema,
  metrics: metricsSchema,
  gates: gatesSchema,
  notifications: notificationsSchema,
  slack: slackGatewaySchema,
  records: recordsSchema,
}).superRefine((config, ctx) => {
  for (const name of Object.keys(config.environments)) {
    if (environmentProblem(name) !== null) {
      ctx.addIssue({
        code: 'custom',
        path: ['environments', name],
        message: 'environment names are lowercase words, like staging',
      });
    }
  }
  for (const key of ['staging', 'canary'] as const) {
    const env = config.stages[key].environment;
    if (!(env in config.environments)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', key, 'environment'],
        message: `environment "${env}" is not defined under environments (defined: ${Object.keys(config.environments).join(', ')})`,
      });
    }
  }
  const { staging, canary } = config.stages;
  if (staging.environment === canary.environment) {
    ctx.addIssue({
      code: 'custom',
      path: ['stages', 'canary', 'environment'],
      message: `must differ from stages.staging.environment ("${staging.environment}"): the canary runs beside production, not in staging`,
    });
  }
  if (canary.steps !== undefined) {
    const rising = canary.steps.every((w, i) => i === 0 || w > canary.steps![i - 1]!);
    if (!rising)
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'canary', 'steps'],
        message: `steps must rise, like [10, 25, 50] (got [${canary.steps.join(', ')}])`,
      });
    if (canary.steps[0] !== canary.weightPercent && canary.weightPercent !== 10)
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'canary', 'weightPercent'],
        message: `the first of stages.canary.steps (${canary.steps[0]}) is the canary's weight; remove weightPercent (${canary.weightPercent}) or make it the first step`,
      });
  }
  const firstWeight = canary.steps?.[0] ?? canary.weightPercent;
  if (canary.shareTolerance !== null && canary.shareTolerance >= firstWeight)
    ctx.addIssue({
      code: 'custom',
      path: ['stages', 'canary', 'shareTolerance'],
      message: `must be less than the canary's first weight (${firstWeight}%): a canary that receives no requests would pass`,
    });
  const longer = (path: string[], what: string, limit: string) =>
    ctx.addIssue({ code: 'custom', path, message: `${what} must not be longer than ${limit}` });
  if (staging.soak > staging.maxTotalSoak)
    longer(
      ['stages', 'staging', 'soak'],
      `the soak (${formatDuration(staging.soak)})`,
      `stages.staging.maxTotalSoak (${formatDuration(staging.maxTotalSoak)}): no release could pass it`,
    );
  if (staging.healthCheckInterval > staging.soak)
    longer(
      ['stages', 'staging', 'healthCheckInterval'],
      `the health-check interval (${formatDuration(staging.healthCheckInterval)})`,
      `stages.staging.soak (${formatDuration(staging.soak)}): the soak would end before its first check`,
    );
  if (canary.analysisInterval > canary.minDuration)
    longer(
      ['stages', 'canary', 'analysisInterval'],
      `the analysis interval (${formatDuration(canary.analysisInterval)})`,
      `stages.canary.minDuration (${formatDuration(canary.minDuration)})`,
    );
  if (canary.pauseDeadline !== null && canary.pauseReminderInterval > canary.pauseDeadline) {
    longer(
      ['stages', 'canary', 'pauseReminderInterval'],
      `the pause reminder interval (${formatDuration(canary.pauseReminderInterval)})`,
      `stages.canary.pauseDeadline (${formatDuration(canary.pauseDeadline)}): nobody would be reminded before the rollback`,
    );
  }
  const { deadline, reminderInterval } = config.stages.approval;
  if (deadline !== undefined && reminderInterval > deadline) {
    longer(
      ['stages', 'approval', 'reminderInterval'],
      `the approval reminder interval (${formatDuration(reminderInterval)})`,
      `stages.approval.deadline (${formatDuration(deadline)}): nobody would be reminded before the rejection`,
    );
  }
  for (const action of ACTIONS) {
    for (const role of config.permissions[action]) {
      if (!(role in config.roles)) {
        ctx.addIssue({
          code: 'custom',
          path: ['permissions', action],
          message: `role ${role} is not defined under roles (defined: ${Object.keys(config.roles).join(', ')})`,
        });
      }
    }
  }
});

function toList(roles: string | string[]): string[] {
  return typeof roles === 'string' ? [roles] : roles;
}

export type Config = z.output<typeof configSchema>;
export type EnvironmentConfig = Config['environments'][string];
