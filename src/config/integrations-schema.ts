// Settings of the pluggable integrations: where deployments go, where metrics come from, who answers
// the gates and where notifications are sent. Each has a `simulated` implementation (state in local
// files) so the demo and the workflow tests run anywhere, and a real one for production.
import { z } from 'zod';
import { durationMs } from './duration';

const serviceName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a service name is a DNS label, like api-gateway');

export const simulatedTargetSchema = z.object({
  type: z.literal('simulated'),
  /** Directory holding the simulated environments' state (one JSON file per environment). */
  stateDir: z.string().default('.release-promote/simulated'),
});

export const kubernetesTargetSchema = z.object({
  type: z.literal('kubernetes'),
  /** Path to a kubeconfig; omitted means the default loading rules (KUBECONFIG, ~/.kube/config). */
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  /** Use the pod's service account (running inside the cluster). */
  inCluster: z.boolean().default(false),
  namespace: z.string().min(1),
  /** How long one rollout may take before the deploy fails. */
  rolloutTimeout: durationMs.prefault('10m'),
});

export const environmentSchema = z.object({
  target: z.discriminatedUnion('type', [simulatedTargetSchema, kubernetesTargetSchema]).prefault({ type: 'simulated' }),
  services: z
    .array(z.object({ name: serviceName, container: z.string().optional() }))
    .min(1, 'an environment needs at least one service')
    .default([{ name: 'api-gateway' }, { name: 'orchestrator' }, { name: 'workers' }]),
});

export const promQueriesSchema = z.object({
  /** PromQL templates; {service}, {track} and {window} are substituted. Each must return one number. */
  requests: z.string(),
  errorRatePct: z.string(),
  p99Ms: z.string(),
  availabilityPct: z.string(),
});

export const metricsSchema = z
  .discriminatedUnion('provider', [
    z.object({
      provider: z.literal('simulated'),
      /** Scenario name (healthy, error-rate-regression, latency-regression, ...) or a path to a scenario JSON file. */
      scenario: z.string().default('healthy'),
    }),
    z.object({
      provider: z.literal('prometheus'),
      baseUrl: z.string().url(),
      /** Name of an environment variable holding the Authorization header value, e.g. "Bearer …". */
      authHeaderEnv: z.string().optional(),
      window: durationMs.prefault('5m'),
      timeout: durationMs.prefault('10s'),
      queries: promQueriesSchema.partial().prefault({}),
    }),
  ])
  .prefault({ provider: 'simulated' });

export const webhookSchema = z.object({
  url: z.string().url(),
  timeout: durationMs.prefault('60s'),
});

export const gatesSchema = z
  .discriminatedUnion('provider', [
    z.object({
      provider: z.literal('simulated'),
      /** Gate facts keyed by commit SHA prefix; commits not listed pass every gate. See README. */
      failing: z.record(z.string(), z.array(z.string())).default({}),
    }),
    z.object({
      provider: z.literal('github'),
      apiBaseUrl: z.string().url().default('https://api.github.com'),
      repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'),
      tokenEnv: z.string().default('GITHUB_TOKEN'),
      coverage: z
        .discriminatedUnion('from', [
          z.object({ from: z.literal('commit-status'), context: z.string() }),
          z.object({ from: z.literal('check-run'), name: z.string() }),
          z.object({ from: z.literal('url'), url: z.string().url() }),
        ])
        .prefault({ from: 'commit-status', context: 'coverage' }),
      e2e: webhookSchema.optional(),
      load: webhookSchema.optional(),
      securityScan: webhookSchema.optional(),
    }),
  ])
  .prefault({ provider: 'simulated' });

export const notificationsSchema = z
  .discriminatedUnion('provider', [
    z.object({ provider: z.literal('console') }),
    z.object({
      provider: z.literal('slack'),
      apiBaseUrl: z.string().url().default('https://slack.com/api/'),
      channel: z.string().min(1),
      botTokenEnv: z.string().default('SLACK_BOT_TOKEN'),
    }),
  ])
  .prefault({ provider: 'console' });

export const slackGatewaySchema = z
  .object({
    port: z.number().int().min(1).max(65535).default(3000),
    signingSecretEnv: z.string().default('SLACK_SIGNING_SECRET'),
    /** Slack user ID → identity, e.g. U012AB3CD: "@alice". Unmapped users cannot approve. */
    users: z.record(z.string(), z.string().regex(/^@/, 'identities start with @')).default({}),
  })
  .prefault({});
