// Activity stubs with their timeouts and retry policies, grouped by how they behave. Deploys are long
// and heartbeat; metric samples fail fast so a stuck query becomes an inconclusive evaluation instead
// of a stalled canary; records and notifications retry patiently because losing one matters.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';

const NON_RETRYABLE = [
  'InvalidInput',
  'DeploymentNotFound',
  'Forbidden',
  'RolloutStuck',
  'MalformedMetricsResponse',
  'GitHubAuthError',
  'ConfigError',
];

const PROFILES = {
  deploy: {
    startToCloseTimeout: '20m',
    heartbeatTimeout: '1m',
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  check: {
    startToCloseTimeout: '5m',
    heartbeatTimeout: '1m',
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  /** The staging suites (webhooks), one after another: each up to 30m, called up to 3 times. */
  suites: {
    startToCloseTimeout: '5h',
    heartbeatTimeout: '1m',
    retry: {
      initialInterval: '30s',
      backoffCoefficient: 2,
      maximumInterval: '5m',
      maximumAttempts: 3,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  metrics: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
  },
  record: {
    startToCloseTimeout: '1m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 20,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  notify: {
    startToCloseTimeout: '2m',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 10,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
} satisfies Record<string, ActivityOptions>;

export type ActivityProfile = keyof typeof PROFILES;

/** Activity stubs with a profile's policy and a summary the Web UI shows on the activity. */
export function activities(profile: ActivityProfile, summary: string): ReleaseActivities {
  return proxyActivities<ReleaseActivities>({ ...PROFILES[profile], summary });
}
