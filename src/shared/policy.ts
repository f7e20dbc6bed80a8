// The release policy: every rule a release is judged by. The installation owns it: it comes from the
// workers' config, never from whoever starts or steers a release. A release obtains it from its
// worker when it starts and records it in its history (with a digest), so a running release keeps
// the rules it started with even if the config changes underneath it, and replay sees the same values.
import { defaultPermissions, DEFAULT_ROLE, type AccessPolicy } from './authorization';

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
  /**
   * How far each service's observed share of requests may be from the weight, in percentage points;
   * null (or absent, in releases started before it existed) is half the weight.
   */
  shareTolerancePp?: number | null;
  /**
   * The canary's weights, one step after another, each held for the minimum duration and judged
   * (absent, in releases started before steps existed: the one step at weightPercent).
   */
  steps?: number[];
  /** Replicas routing: the most the achievable share may miss the weight by (absent before it existed: 5). */
  maxShareErrorPp?: number;
  thresholds: CanaryThresholds;
}

export interface HotfixPolicy {
  requiredApprovals: number;
}

export interface ReleasePolicy {
  /** Who holds which role, and which role each action needs. */
  access: AccessPolicy;
  /** The environments the installation defines (a rollback or a version record names one of them). */
  environments: string[];
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

/** The policy as releases started before the installation owned it carried it, in their input. */
export type LegacyReleasePolicy = Omit<ReleasePolicy, 'access' | 'environments' | 'approval'> & {
  approval: ApprovalPolicy & { approvers: string[] };
};

/** The policy of a release recorded by earlier code, in today's shape: its approvers held RELEASE_APPROVER. */
export function upgradeLegacyPolicy(legacy: LegacyReleasePolicy): ReleasePolicy {
  const { approvers, ...approval } = legacy.approval;
  return {
    ...legacy,
    approval,
    access: { roles: { [DEFAULT_ROLE]: [...approvers] }, permissions: defaultPermissions() },
    environments: [...new Set([legacy.stagingEnvironment, legacy.productionEnvironment])],
  };
}

/** The installation's policy as a worker hands it to a workflow: the rules and their digest. */
export interface InstalledPolicy {
  policy: ReleasePolicy;
  /** sha256 of the rules (links excluded), shown by status and written to the evidence. */
  digest: string;
}

export interface PolicyDifference {
  /** Where in the policy, like canary.thresholds.maxErrorRateIncreasePp. */
  field: string;
  yours: unknown;
  installation: unknown;
}

/** The fields where a client's own policy differs from the installation's (which is the one that applies). */
export function policyDifferences(yours: ReleasePolicy, installation: ReleasePolicy): PolicyDifference[] {
  const a = flatten(withoutLinks(yours));
  const b = flatten(withoutLinks(installation));
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  return fields
    .filter((f) => JSON.stringify(a.get(f)) !== JSON.stringify(b.get(f)))
    .map((field) => ({ field, yours: a.get(field), installation: b.get(field) }));
}

function withoutLinks(policy: ReleasePolicy): Omit<ReleasePolicy, 'webUiUrl' | 'namespace'> {
  const { webUiUrl: _webUiUrl, namespace: _namespace, ...rules } = policy;
  return rules;
}

/** Leaves by dotted path; arrays are leaves (a list of approvers differs as a whole). */
function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    into.set(prefix, value);
  }
  return into;
}

/** The canary's steps: the configured ones, else the seed's single step at weightPercent. */
export function canarySteps(canary: Pick<CanaryPolicy, 'weightPercent' | 'steps'>): number[] {
  return canary.steps && canary.steps.length > 0 ? [...canary.steps] : [canary.weightPercent];
}
