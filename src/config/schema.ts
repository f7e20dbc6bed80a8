// The config file (release-promote.yaml). Every default is the seed's (RELEASE-PROMOTE.md), so an
// empty file describes the documented process exactly.
import { z } from 'zod';
import { durationMs } from './duration';
import { DEFAULT_TASK_QUEUE } from '../shared/identifiers';
import { environmentSchema, gatesSchema, metricsSchema, notificationsSchema, simulationSchema, slackGatewaySchema } from './integrations-schema';

const identity = z.string().regex(/^@[A-Za-z0-9][A-Za-z0-9._-]*$/, 'identities look like @username');
const percent = z.number().min(0).max(100);

export const configSchema = z
  .object({
    temporal: z
      .object({
        taskQueue: z.string().min(1).default(DEFAULT_TASK_QUEUE),
        /** Base URL of the Temporal Web UI, used for links in notifications and the CLI. */
        webUiUrl: z.string().url().default('http://localhost:8233'),
      })
      .prefault({}),
    roles: z
      .object({
        RELEASE_APPROVER: z.array(identity).default([]),
      })
      .prefault({}),
    stages: z
      .object({
        dev: z
          .object({
            minCoveragePct: percent.default(80),
            blockingSeverities: z.array(z.enum(['critical', 'high', 'medium', 'low'])).default(['critical', 'high']),
            requireCodeReview: z.boolean().default(true),
          })
          .prefault({}),
        staging: z
          .object({
            environment: z.string().default('staging'),
            soak: durationMs.prefault('2h'),
            healthCheckInterval: durationMs.prefault('5m'),
            maxTotalSoak: durationMs.prefault('8h'),
          })
          .prefault({}),
        approval: z
          .object({
            separationOfDuties: z.boolean().default(true),
            reminderInterval: durationMs.prefault('1h'),
            /** Reject the release when nobody decides within this time of the request; omit to wait forever. */
            deadline: durationMs.optional(),
          })
          .prefault({}),
        canary: z
          .object({
            environment: z.string().default('production'),
            weightPercent: z.number().int().min(1).max(50).default(10),
            minDuration: durationMs.prefault('30m'),
            analysisInterval: durationMs.prefault('1m'),
            failureLimit: z.number().int().min(1).default(1),
            inconclusiveLimit: z.number().int().min(1).default(3),
            pauseReminderInterval: durationMs.prefault('15m'),
            /** A canary paused this long without a decision is rolled back (a 10% canary nobody tends is a risk, and its history keeps growing); null waits forever. */
            pauseDeadline: durationMs.nullable().prefault('24h'),
            thresholds: z
              .object({
                maxErrorRateIncreasePp: z.number().positive().default(1),
                maxP99IncreasePct: z.number().positive().default(10),
                minAvailabilityPct: percent.default(99.9),
                minRequestCount: z.number().int().min(0).default(100),
              })
              .prefault({}),
          })
          .prefault({}),
        hotfix: z.object({ requiredApprovals: z.number().int().min(2).default(2) }).prefault({}),
      })
      .prefault({}),
    environments: z
      .record(z.string(), environmentSchema)
      .prefault({ staging: {}, production: {} }),
    simulation: simulationSchema,
    metrics: metricsSchema,
    gates: gatesSchema,
    notifications: notificationsSchema,
    slack: slackGatewaySchema,
    records: z
      .object({
        auditDir: z.string().default('operational_audit/releases'),
        evidenceDir: z.string().default('TEST/release'),
        /** Export of the version records (source of truth), one JSON file per environment. */
        sotDir: z.string().default('operational_audit/sot'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const name of Object.keys(config.environments)) {
      if (!/^[a-z][a-z0-9-]*$/.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['environments', name], message: 'environment names are lowercase words, like staging' });
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
    if (config.stages.canary.minDuration < config.stages.canary.analysisInterval) {
      ctx.addIssue({ code: 'custom', path: ['stages', 'canary', 'analysisInterval'], message: 'must not be longer than stages.canary.minDuration' });
    }
  });

export type Config = z.output<typeof configSchema>;
export type EnvironmentConfig = Config['environments'][string];
