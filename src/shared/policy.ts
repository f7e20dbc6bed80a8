// The release policy: every rule a release is judged by. It is read from the config file once, when a
// release starts, and travels in the workflow input, so a running release keeps the rules it started
// with even if the config file changes underneath it (and replay sees the same values).

export interface CanaryThresholds {
  /** Canary error rate may exceed the stable baseline by less than this many percentage points. */
  maxErrorRateIncreasePp: number;
  /** Canary P99 latency may exceed the stable baseline by less than this many percent. */
  maxP99IncreasePct: number;
  /** Canary availability must be at least this percentage. */
  minAvailabilityPct: number;
  /** Fewer canary requests than this in a window make the measurement inconclusive. */
  minRequestCount: number;
}

export interface DevGatePolicy {
  minCoveragePct: number;
  /** Security findings of these severities block the release. */
  blockingSeverities: Array<'critical' | 'high' | 'medium' | 'low'>;
  requireCodeReview: boolean;
}

export interface SoakPolicy {
  /** Staging must stay healthy for this long without interruption. */
  durationMs: number;
  /** How often staging health is checked during the soak. */
  healthCheckIntervalMs: number;
  /** Give up when a continuous healthy soak has not been achieved within this total time. */
  maxTotalMs: number;
}

export interface ApprovalPolicy {
  /** Who may approve: identities (for example "@alice") holding RELEASE_APPROVER. */
  approvers: string[];
  /** The person who started a release may not approve it. */
  separationOfDuties: boolean;
  reminderIntervalMs: number;
  /** When set, the release is rejected if nobody decides within this time after the request. */
  deadlineMs: number | null;
}

export interface CanaryPolicy {
  weightPercent: number;
  minDurationMs: number;
  analysisIntervalMs: number;
  /** Breaching evaluations in a row before acting (the seed acts on the first). */
  failureLimit: number;
  /** Inconclusive evaluations in a row before the canary pauses and asks a human. */
  inconclusiveLimit: number;
  pauseReminderIntervalMs: number;
  /** Rolled back after this long paused without a decision; null (or absent, in releases started before it existed) waits. */
  pauseDeadlineMs?: number | null;
  thresholds: CanaryThresholds;
}

export interface HotfixPolicy {
  requiredApprovals: number;
}

export interface ReleasePolicy {
  stagingEnvironment: string;
  productionEnvironment: string;
  devGates: DevGatePolicy;
  soak: SoakPolicy;
  approval: ApprovalPolicy;
  canary: CanaryPolicy;
  hotfix: HotfixPolicy;
  /** Base URL of the Temporal Web UI, for links in notifications. */
  webUiUrl: string;
  namespace: string;
}
