// Scenarios script the simulated world (the demo's and the tests'): what the canary's metrics look like minute by minute, when
// staging or canary health checks fail, and which deploy steps fail. Times are minutes since the
// relevant deploy (staging deploy for staging health, canary deploy for canary metrics and health).
import { z } from 'zod';

const sample = z.strictObject({
  requests: z.number().min(0).nullable(),
  errorRatePct: z.number().min(0).max(100).nullable(),
  p99Ms: z.number().min(0).nullable(),
  availabilityPct: z.number().min(0).max(100).nullable(),
  queryError: z.string().nullable().default(null),
});

/** Steps of a script: from a minute (until another), these values. */
const step = <T extends z.ZodRawShape>(shape: T) =>
  z.array(z.strictObject({ fromMinute: z.number().min(0), untilMinute: z.number().min(0).optional(), ...shape }));

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  baseline: sample,
  /**
   * Canary metrics from a minute on (the last matching step wins), for every service or, with
   * `service`, for that one only. The requests are those of the scenario's 10% weight.
   */
  canary: step({ ...sample.partial().shape, service: z.string().optional() }).default([]),
  /** Periods when a track is unhealthy. */
  stagingUnhealthy: step({ service: z.string(), detail: z.string() }).default([]),
  canaryUnhealthy: step({ service: z.string(), detail: z.string() }).default([]),
  /** Deploy operations that fail, e.g. "production:deploy" or "production:removeCanary". */
  failingOperations: z.array(z.string()).default([]),
  /** Gates that fail for every commit, by gate name. */
  failingGates: z.array(z.string()).default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
type SampleShape = z.output<typeof sample>;

const HEALTHY_BASELINE: SampleShape = {
  requests: 6000,
  errorRatePct: 0.3,
  p99Ms: 180,
  availabilityPct: 99.97,
  queryError: null,
};
const HEALTHY_CANARY: SampleShape = {
  requests: 620,
  errorRatePct: 0.32,
  p99Ms: 184,
  availabilityPct: 99.96,
  queryError: null,
};

const base = {
  baseline: HEALTHY_BASELINE,
  stagingUnhealthy: [],
  canaryUnhealthy: [],
  failingOperations: [],
  failingGates: [],
};

export const BUILT_IN_SCENARIOS: Record<string, Scenario> = {
  healthy: {
    ...base,
    name: 'healthy',
    description: 'everything healthy',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }],
  },
  'error-rate-regression': {
    ...base,
    name: 'error-rate-regression',
    description: 'canary error rate rises to 2.4% at minute 12',
    canary: [
      { fromMinute: 0, ...HEALTHY_CANARY },
      { fromMinute: 12, errorRatePct: 2.4, availabilityPct: 99.95 },
    ],
  },
  'one-service-regression': {
    ...base,
    name: 'one-service-regression',
    description: "the workers canary's error rate rises to 2.4% at minute 12; the other services stay healthy",
    canary: [
      { fromMinute: 0, ...HEALTHY_CANARY },
      { fromMinute: 12, service: 'workers', errorRatePct: 2.4, availabilityPct: 97.6 },
    ],
  },
  'availability-regression': {
    ...base,
    name: 'availability-regression',
    description: 'canary availability drops to 99.5% at minute 7 (error rate unchanged)',
    canary: [
      { fromMinute: 0, ...HEALTHY_CANARY },
      { fromMinute: 7, availabilityPct: 99.5 },
    ],
  },
  'latency-regression': {
    ...base,
    name: 'latency-regression',
    description: 'canary P99 rises to 230 ms (+28%) at minute 5',
    canary: [
      { fromMinute: 0, ...HEALTHY_CANARY },
      { fromMinute: 5, p99Ms: 230 },
    ],
  },
  'unhealthy-canary': {
    ...base,
    name: 'unhealthy-canary',
    description: 'the orchestrator canary fails its health check at minute 8',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }],
    canaryUnhealthy: [{ fromMinute: 8, service: 'orchestrator', detail: 'readiness probe failing: 0/1 ready' }],
  },
  'unhealthy-staging': {
    ...base,
    name: 'unhealthy-staging',
    description: 'staging workers fail health checks from minute 30 to 40 of the soak, restarting the 2-hour clock',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }],
    stagingUnhealthy: [
      { fromMinute: 30, untilMinute: 40, service: 'workers', detail: 'readiness probe failing: 1/3 ready' },
    ],
  },
  'no-data': {
    ...base,
    name: 'no-data',
    description: 'canary metrics queries return no data',
    canary: [
      { fromMinute: 0, requests: null, errorRatePct: null, p99Ms: null, availabilityPct: null, queryError: null },
    ],
  },
  'low-traffic': {
    ...base,
    name: 'low-traffic',
    description: 'the canary receives 12 requests per window (below the minimum)',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY, requests: 12 }],
  },
  'query-errors': {
    ...base,
    name: 'query-errors',
    description: 'the metrics backend answers with errors',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY, queryError: 'metrics backend returned HTTP 503' }],
  },
  'production-rollout-failure': {
    ...base,
    name: 'production-rollout-failure',
    description: 'the full production rollout fails (the previous version must be restored)',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }],
    failingOperations: ['production:deploy'],
  },
  'rollback-failure': {
    ...base,
    name: 'rollback-failure',
    description: 'error-rate regression at minute 3, and removing the canary fails',
    canary: [
      { fromMinute: 0, ...HEALTHY_CANARY },
      { fromMinute: 3, errorRatePct: 2.4 },
    ],
    failingOperations: ['production:removeCanary'],
  },
  'failing-gates': {
    ...base,
    name: 'failing-gates',
    description: 'unit coverage is 72% and a high security finding is open',
    canary: [{ fromMinute: 0, ...HEALTHY_CANARY }],
    failingGates: ['unit-coverage', 'security-findings'],
  },
};

const active = (minute: number) => (s: { fromMinute: number; untilMinute?: number | undefined }) =>
  minute >= s.fromMinute && (s.untilMinute === undefined || minute < s.untilMinute);

/** The canary's sample at a minute: for one service, or (without one) the steps that name no service. */
export function canarySampleAt(scenario: Scenario, minute: number, service?: string): SampleShape {
  let result: SampleShape = { ...HEALTHY_CANARY };
  for (const s of scenario.canary.filter(active(minute))) {
    const { fromMinute: _f, untilMinute: _u, service: only, ...values } = s;
    if (only === undefined || only === service) result = { ...result, ...values };
  }
  return result;
}

/** The weight the scenario's request counts are written for. */
export const SCENARIO_WEIGHT_PCT = 10;

export function unhealthyAt(
  steps: Scenario['stagingUnhealthy'],
  minute: number,
): Array<{ service: string; detail: string }> {
  return steps.filter(active(minute)).map(({ service, detail }) => ({ service, detail }));
}
