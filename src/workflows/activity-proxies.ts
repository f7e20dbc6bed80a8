// Activity stubs with their timeouts and retry policies, grouped by how they behave. Deploys are long
// and heartbeat; metric samples fail fast so a stuck query becomes an inconclusive evaluation instead
// of a stalled canary; records and notifications retry patiently because losing one matters.
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
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

/** Deploys and checks: five tries, 5 s to 1 min apart, and a heartbeat while they wait. */
const PERSISTENT = {
  heartbeatTimeout: '1m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
} satisfies ActivityOptions;

const PROFILES = {
  deploy: { ...PERSISTENT, startToCloseTimeout: '20m' },
  check: { ...PERSISTENT, startToCloseTimeout: '5m' },
  /**
   * One staging suite (a webhook): up to 30m per call. Its own failures say when to try again
   * (nextRetryDelay) and when to stop (the webhook's retries); the cap here is a backstop.
   */
  suite: {
    startToCloseTimeout: '35m',
    heartbeatTimeout: '1m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: 3,
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  /** Releases started before each suite had its own activity: the three, one after another, each up to 30m. */
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
  // No attempt limit: a record that cannot be written (the records store is down) holds the release
  // where it is until the store is back, rather than failing it; `status` shows the retrying write.
  record: {
    startToCloseTimeout: '1m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  },
  /**
   * Undo steps of a rollback: a short heartbeat timeout, so a rollback whose worker died is picked up
   * by another worker within seconds, not after a deploy's minute (the activities beat every 2 s).
   */
  undo: {
    startToCloseTimeout: '20m',
    heartbeatTimeout: '10s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      maximumAttempts: 10,
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

/**
 * A short try inside the workflow task (a local activity: one marker in the history, no activity
 * events and no extra workflow task). Records, notifications and lease requests normally take
 * milliseconds; when one does not succeed within this budget, localFirst hands it to a regular
 * activity with its profile's retries, which the server shows as pending (`status` lists it as
 * retrying) and which does not hold the workflow task open.
 */
const LOCAL = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE },
} satisfies LocalActivityOptions;

/** Runs `call` as a local activity first, then (unless it failed for good) as a regular activity of `profile`. */
export async function localFirst<R>(
  profile: ActivityProfile,
  summary: string,
  call: (a: ReleaseActivities) => Promise<R>,
): Promise<R> {
  try {
    return await call(proxyLocalActivities<ReleaseActivities>({ ...LOCAL, summary }));
  } catch (err) {
    if (isCancellation(err) || failedForGood(err)) throw err;
    return call(activities(profile, summary));
  }
}

function failedForGood(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && (cause.nonRetryable || NON_RETRYABLE.includes(cause.type ?? ''));
}
