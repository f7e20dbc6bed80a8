// Settings of the pluggable integrations: where deployments go, where metrics come from, who answers
// the gates and where notifications are sent. Each has a `simulated` implementation (state in local
// files) so the demo and the workflow tests run anywhere, and a real one for production.
import { z } from 'zod';
import { durationMs } from './duration';
import { strictObject } from './strict';

const serviceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a service name is a DNS label, like api-gateway');

export const simulatedTargetSchema = strictObject({ type: z.literal('simulated') });

/** The simulated world: environments kept in local files, metrics and health scripted by a scenario. */
export const simulationSchema = strictObject({
  /** A built-in scenario (healthy, error-rate-regression, ...) or the path of a scenario JSON file. */
  scenario: z.string().default('healthy'),
  /** Directory holding the simulated environments' state, one JSON file per environment. */
  stateDir: z.string().default('.release-promote/simulated'),
  /** How many scenario minutes pass per real minute: the demo runs at 60, so a scripted minute 12 comes after 12 s. */
  timeScale: z.number().positive().default(1),
  /** How long each service's rollout step takes (a real pause), so a rollout can be watched, or interrupted in a test. */
  rolloutStep: durationMs.default(20),
}).prefault({});

/**
 * Each service is a Deployment of that name in `namespace`; its container's image tag is the version.
 * Canaries are `<name>-canary` Deployments labelled track=canary (src/activities/kubernetes/target.ts).
 */
export const kubernetesTargetSchema = strictObject({
  type: z.literal('kubernetes'),
  /** Path to a kubeconfig; omitted means the default loading rules (KUBECONFIG, ~/.kube/config). */
  kubeconfig: z.string().min(1).optional(),
  /** Kubeconfig context to use; omitted means the kubeconfig's current context. */
  context: z.string().min(1).optional(),
  /** Use the pod's service account (running inside the cluster). */
  inCluster: z.boolean().default(false),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name is a DNS label, like agentaskit-production')
    .max(63),
  /** How long one Deployment's rollout may take before the deploy fails (RolloutStuck). */
  rolloutTimeout: durationMs.prefault('10m'),
}).superRefine((target, ctx) => {
  if (!target.inCluster) return;
  for (const key of ['kubeconfig', 'context'] as const) {
    if (target[key] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: "inCluster: true uses the pod's service account; remove kubeconfig and context",
      });
  }
});

/**
 * Who splits each service's requests between its stable and canary pods
 * (src/activities/ports.ts TrafficRouter). Omitted: gateway-api on a Kubernetes target, simulated on
 * the simulated one.
 */
export const routerSchema = z.discriminatedUnion('type', [
  /** The simulated target's state file holds the weight; scenario traffic follows it. */
  strictObject({ type: z.literal('simulated') }),
  /**
   * A Gateway API HTTPRoute per service (src/activities/kubernetes/gateway-router.ts): its rule's
   * backendRefs get <service>-stable 100−w / <service>-canary w, exact whatever the pod counts.
   */
  strictObject({
    type: z.literal('gateway-api'),
    /** Service → the HTTPRoute carrying its requests, in the environment's namespace. Omitted: a route named after the service. */
    routes: z.record(serviceName, serviceName).default({}),
    /** How long the Gateway controller may take to accept a new weight before the change fails. */
    acceptanceTimeout: durationMs.prefault('60s'),
  }),
  /**
   * No router: the Service spreads requests over the pods, so the share is the canary's share of
   * the pods. The stable Deployment is scaled so the total stays the same; a split further than
   * stages.canary.maxShareError from the weight is refused before the canary starts.
   */
  strictObject({ type: z.literal('replicas') }),
]);

export const environmentSchema = strictObject({
  target: z.discriminatedUnion('type', [simulatedTargetSchema, kubernetesTargetSchema]).prefault({ type: 'simulated' }),
  router: routerSchema.optional(),
  services: z
    .array(strictObject({ name: serviceName, container: z.string().optional() }))
    .min(1, 'an environment needs at least one service')
    .default([{ name: 'api-gateway' }, { name: 'orchestrator' }, { name: 'workers' }]),
}).superRefine((env, ctx) => {
  const router = env.router?.type;
  if (router === undefined) return;
  const fits = env.target.type === 'simulated' ? router === 'simulated' : router !== 'simulated';
  if (!fits)
    ctx.addIssue({
      code: 'custom',
      path: ['router', 'type'],
      message:
        env.target.type === 'simulated'
          ? `a simulated target routes with the simulated router, not ${router}`
          : `a Kubernetes target routes with gateway-api or replicas, not ${router}`,
    });
  if (env.router?.type === 'gateway-api') {
    const services = new Set(env.services.map((s) => s.name));
    for (const name of Object.keys(env.router.routes))
      if (!services.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['router', 'routes', name],
          message: `"${name}" is not one of this environment's services (${[...services].join(', ')})`,
        });
  }
});

export type RouterConfig = z.output<typeof routerSchema>;

/** The router an environment uses: the configured one, else the target's natural one. */
export function routerOf(env: z.output<typeof environmentSchema>): RouterConfig {
  if (env.router) return env.router;
  return env.target.type === 'kubernetes'
    ? { type: 'gateway-api', routes: {}, acceptanceTimeout: 60_000 }
    : { type: 'simulated' };
}

export const promQueriesSchema = strictObject({
  /**
   * PromQL templates, each returning one number (a one-element vector or a scalar). Substituted:
   * {selector} (the default label matchers: service, track and environment), {service} (a regex
   * matching the services), {track} ("stable" or "canary"), {environment} and {window} (like 5m).
   * An empty answer or NaN is "no data", never zero. Defaults: src/activities/metrics/promql-defaults.ts.
   */
  requests: z.string().min(1),
  errorRatePct: z.string().min(1),
  p99Ms: z.string().min(1),
  availabilityPct: z.string().min(1),
});

export const metricsSchema = z
  .discriminatedUnion('provider', [
    strictObject({ provider: z.literal('simulated') }),
    strictObject({
      provider: z.literal('prometheus'),
      baseUrl: z.string().url(),
      /** Name of an environment variable holding the Authorization header value, e.g. "Bearer …". */
      authHeaderEnv: z.string().min(1).optional(),
      /**
       * Label that holds the environment name (e.g. production) in your metrics; null when this
       * Prometheus only sees one environment and the default queries should not filter on it.
       */
      environmentLabel: z
        .string()
        .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name, like environment or namespace')
        .nullable()
        .default('environment'),
      /** The range every query looks back over, e.g. the rate of the last 5 minutes. */
      window: durationMs.prefault('5m'),
      /** How long one query may take before the measurement fails (and is retried). */
      timeout: durationMs
        .prefault('10s')
        .refine((ms) => ms <= 25_000, 'a metrics query timeout is at most 25s (one canary measurement has 30s in all)'),
      queries: promQueriesSchema.partial().prefault({}),
      /**
       * Per-service templates that replace the ones above for that service, e.g. a service whose
       * requests are counted by another metric. Each service is judged against its own baseline.
       */
      serviceQueries: z.record(serviceName, promQueriesSchema.partial()).prefault({}),
    }),
  ])
  .prefault({ provider: 'simulated' });

/** A Flagger-style test webhook: POSTed JSON about the release; a 2xx answer means the suite passed. */
export const webhookSchema = strictObject({
  url: z.string().url(),
  /** How long the suite may run before the call is abandoned. At most 30m: see retries. */
  timeout: durationMs
    .prefault('60s')
    .refine(
      (ms) => ms <= 30 * 60_000,
      "a webhook timeout is at most 30m (the three staging suites, retries included, must answer within the gate activity's 5h)",
    ),
  /** Calls again after a network error or a timeout (not after an answer: that is a verdict). */
  retries: z.number().int().min(0).max(2).prefault(2),
  /** Name of an environment variable holding the Authorization header value to send, if any. */
  authHeaderEnv: z.string().min(1).optional(),
});

export const gatesSchema = z
  .discriminatedUnion('provider', [
    strictObject({ provider: z.literal('simulated') }),
    strictObject({
      provider: z.literal('github'),
      /** GitHub Enterprise Server: https://HOST/api/v3 */
      apiBaseUrl: z.string().url().default('https://api.github.com'),
      repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'),
      /** Name of the environment variable holding the token (checks, statuses, pulls, code scanning: read). */
      tokenEnv: z.string().min(1).default('GITHUB_TOKEN'),
      /** How long one GitHub API request may take. */
      timeout: durationMs.prefault('30s'),
      /**
       * Where the unit-test coverage percentage is read (formats: src/activities/gates/coverage.ts):
       * a commit status's description ("84.2% (+0.1%)"), a check run's output title or summary, or
       * a JSON document ({"coveragePct": 84.2} or Istanbul's json-summary) at a URL where {sha}
       * is replaced by the commit. The GitHub token is never sent to that URL.
       */
      coverage: z
        .discriminatedUnion('from', [
          strictObject({ from: z.literal('commit-status'), context: z.string().min(1) }),
          strictObject({ from: z.literal('check-run'), name: z.string().min(1) }),
          strictObject({ from: z.literal('url'), url: z.string().url() }),
        ])
        .prefault({ from: 'commit-status', context: 'coverage' }),
      /**
       * The ref whose open code-scanning alerts are the release's security findings (GitHub lists
       * alerts per ref, not per commit). {version} is replaced, e.g. refs/tags/v{version}.
       */
      codeScanningRef: z.string().min(1).default('refs/heads/main'),
      e2e: webhookSchema.optional(),
      load: webhookSchema.optional(),
      securityScan: webhookSchema.optional(),
    }),
  ])
  .prefault({ provider: 'simulated' });

export const notificationsSchema = z
  .discriminatedUnion('provider', [
    strictObject({ provider: z.literal('console') }),
    strictObject({
      provider: z.literal('slack'),
      /** The Web API base; a fake Slack's URL in tests. */
      apiBaseUrl: z.string().url().default('https://slack.com/api/'),
      /** Channel ID (C0123ABCD) the bot is a member of; each release gets one thread there. */
      channel: z
        .string()
        .regex(
          /^(#?[a-z0-9][a-z0-9._-]*|[CGD][A-Z0-9]+)$/,
          'a Slack channel ID like C0123ABCD (or a name like #releases)',
        ),
      /** Name of the environment variable holding the bot token (xoxb-…); the token never goes in the file. */
      botTokenEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, like SLACK_BOT_TOKEN')
        .default('SLACK_BOT_TOKEN'),
    }),
  ])
  .prefault({ provider: 'console' });

export const slackGatewaySchema = strictObject({
  port: z.number().int().min(1).max(65535).default(3000),
  /** Interface the gateway listens on; Slack (or the proxy in front of it) must reach it. */
  host: z.string().min(1).default('0.0.0.0'),
  /** Name of the environment variable holding the Slack app's signing secret. */
  signingSecretEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, like SLACK_SIGNING_SECRET')
    .default('SLACK_SIGNING_SECRET'),
  /** Slack user ID → identity, e.g. U012AB3CD: "@alice". Unmapped users cannot act on releases from Slack. */
  users: z
    .record(z.string(), z.string().regex(/^@[A-Za-z0-9][A-Za-z0-9._-]*$/, 'identities look like @username'))
    // Checked here rather than as the record's key schema, whose failure hides this message.
    .superRefine((users, ctx) => {
      for (const id of Object.keys(users)) {
        if (!/^[UW][A-Z0-9]+$/.test(id))
          ctx.addIssue({
            code: 'custom',
            path: [id],
            message: `"${id}" is not a Slack user ID, like U012AB3CD (profile → ⋮ → Copy member ID)`,
          });
      }
    })
    .default({}),
}).prefault({});
