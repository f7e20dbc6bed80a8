// The activities a release runs, built over the ports. Each is idempotent: deploys converge on a
// version, gate and metric reads have no side effects, audit appends carry an idempotency key,
// ledger updates are keyed by workflow ID, and evidence is a whole document the store keeps once.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  EnvironmentLedger,
  readEnvironmentRecords,
  ReleasePromotion,
  signalWithStartWorkflow,
  startOperation,
  workflowHandle,
} from '../workflow-api';
import { evaluateDevGates, evaluateStagingSuite, STAGING_SUITES, type StagingSuite } from '../shared/gates';
import type { DevGatePolicy, InstalledPolicy } from '../shared/policy';
import type { GateResult, MetricSample, ReleaseStatus, ServiceHealth } from '../shared/release';
import type { AuditEntry } from '../shared/audit';
import type { ServiceSample } from '../shared/service-verdict';
import { statusQuery } from '../shared/messages';
import {
  acquireEnvironmentUpdate,
  recordVersionUpdate,
  releaseEnvironmentUpdate,
  releaseLeaseSignal,
  requestLeaseSignal,
  type EnvironmentLedgerInput,
  type EnvironmentRecords,
  type LeaseRelease,
  type LeaseAnswer,
  type LeaseRequest,
  type VersionRecord,
} from '../shared/ledger';
import { environmentWorkflowId } from '../shared/identifiers';
import { verifyServices, type VerificationReport } from '../shared/verification';
import type {
  DeploymentTarget,
  GateProvider,
  MetricsSource,
  Notifier,
  ServiceWeights,
  StagingRelease,
  TrafficRouter,
} from './ports';
import type { Notification, NotificationReceipt } from '../shared/notifications';
import { ledgerStart } from '../records/version-records';
import { renderEvidence } from '../records/evidence';
import type { AppendResult, RecordsStore } from '../records/store';

export interface ActivityDeps {
  client: Client;
  taskQueue: string;
  /** The installation's policy, from this worker's config: what every release started here is judged by. */
  policy: InstalledPolicy;
  /** The deployment target of an environment; `now` is the workflow timeline's clock (simulation only). */
  target(environment: string, now: () => number): DeploymentTarget;
  metrics(environment: string, now: () => number): MetricsSource;
  /** Who splits an environment's requests between the stable and canary tracks. */
  router(environment: string): TrafficRouter;
  services(environment: string): string[];
  gates(now: () => number): GateProvider;
  notifier: Notifier;
  /** Where the audit trail, evidence and version-record exports are kept (files or postgres). */
  records: RecordsStore;
}

/** The server's time for this attempt: the workflow's timeline, which time-skipping tests move. */
function timeline(): () => number {
  const info = Context.current().info;
  const scheduled = info.currentAttemptScheduledTimestampMs;
  const startedLocally = Date.now();
  return () => scheduled + (Date.now() - startedLocally);
}

/** Well inside the suites profile's 1 min heartbeat timeout (src/workflows/activity-proxies.ts). */
export const STAGING_SUITE_HEARTBEAT_MS = 10_000;

function heartbeat(detail: string): void {
  Context.current().heartbeat(detail);
}

/**
 * Well inside the undo profile's 10 s heartbeat timeout: a rollback step whose worker died is retried
 * elsewhere within seconds. The SDK sends at most one heartbeat per 80% of the timeout.
 */
const STEP_HEARTBEAT_MS = 2_000;

/** Heartbeats while `work` runs, whether or not the port reports progress of its own. */
async function beating<R>(detail: string, work: () => Promise<R>): Promise<R> {
  const timer = setInterval(() => heartbeat(detail), STEP_HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Bounds a call to Temporal made from inside an activity by the attempt's own timeout and
 * cancellation. Queries and updates need a worker to answer; when this worker is the one shutting
 * down, an unbounded call would hold the activity, and so the shutdown, forever.
 */
function withinAttempt<R>(client: Client, call: () => Promise<R>): Promise<R> {
  const { info, cancellationSignal } = Context.current();
  return client.withDeadline(Date.now() + info.startToCloseTimeoutMs, () =>
    client.withAbortSignal(cancellationSignal, call),
  );
}

export function createActivities(deps: ActivityDeps) {
  const temporal = <R>(call: () => Promise<R>) => withinAttempt(deps.client, call);
  // The ledger's start input (its last exported records) counts only when the ledger has to start;
  // update-with-start ignores it while the ledger runs.
  const ledgerStartOptions = async (environment: string) => ({
    workflowId: environmentWorkflowId(environment, deps.taskQueue),
    taskQueue: deps.taskQueue,
    args: [ledgerStart(environment, await deps.records.versionRecords(environment))] as [EnvironmentLedgerInput],
    staticSummary: `Ledger of the ${environment} environment: lease queue and version records`,
  });
  const startLedger = async (environment: string) =>
    startOperation(EnvironmentLedger, {
      ...(await ledgerStartOptions(environment)),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  const keepEvidence = async (status: ReleaseStatus): Promise<string> => {
    const kept = await deps.records.putEvidence({
      version: status.version,
      workflowId: status.workflowId,
      runId: status.runId,
      policyDigest: status.policyDigest ?? null,
      files: renderEvidence(status, await deps.records.auditEntries(status.version)),
    });
    return `${deps.records.description}: evidence of ${kept.version} run ${kept.runId}${kept.revision ? ` revision ${kept.revision}` : ''}`;
  };

  return {
    /** A local activity: the workflow records the answer, so a release keeps the policy it started with. */
    installationPolicy(): Promise<InstalledPolicy> {
      return Promise.resolve(deps.policy);
    },

    async checkDevGates(input: { version: string; commitSha: string; policy: DevGatePolicy }): Promise<GateResult[]> {
      const facts = await deps.gates(timeline()).devGateFacts(input);
      return evaluateDevGates(facts, input.policy);
    },

    /** One staging suite (E2E, load, security scan); it may run for many minutes: heartbeat meanwhile. */
    async runStagingSuite(input: StagingRelease & { suite: StagingSuite }): Promise<GateResult> {
      const { suite, ...release } = input;
      const beating = setInterval(() => heartbeat(`waiting for the ${suite} suite`), STAGING_SUITE_HEARTBEAT_MS);
      try {
        const outcome = await deps.gates(timeline()).stagingSuite(suite, release, Context.current().info.attempt);
        return evaluateStagingSuite(suite, outcome);
      } finally {
        clearInterval(beating);
      }
    },

    /** The three suites in one activity: kept for releases started before each suite had its own. */
    async checkStagingGates(input: StagingRelease): Promise<GateResult[]> {
      const beating = setInterval(
        () => heartbeat('waiting for the E2E, load and security suites'),
        STAGING_SUITE_HEARTBEAT_MS,
      );
      try {
        const gates = deps.gates(timeline());
        const results: GateResult[] = [];
        for (const suite of STAGING_SUITES) {
          results.push(
            evaluateStagingSuite(suite, await gates.stagingSuite(suite, input, Context.current().info.attempt)),
          );
        }
        return results;
      } finally {
        clearInterval(beating);
      }
    },

    async deployStable(input: { environment: string; version: string }): Promise<ServiceHealth[]> {
      return beating(`deploying ${input.version}`, () =>
        deps.target(input.environment, timeline()).deploy(input.version, heartbeat),
      );
    },

    async deployCanary(input: {
      environment: string;
      version: string;
      weightPercent: number;
    }): Promise<ServiceHealth[]> {
      return deps.target(input.environment, timeline()).deployCanary(input.version, input.weightPercent, heartbeat);
    },

    /** Fails, changing nothing, when the environment's router cannot give the canary these weights. */
    async checkCanaryRouting(input: { environment: string; weights: number[] }): Promise<void> {
      await deps.router(input.environment).check(input.weights);
    },

    /** Sends `weightPct` of each service's requests to its canary; returns the weights the router holds. */
    async setCanaryWeight(input: { environment: string; weightPct: number }): Promise<ServiceWeights[]> {
      return beating(`setting the canary weight to ${input.weightPct}%`, () =>
        deps.router(input.environment).setCanaryWeight(input.weightPct, heartbeat),
      );
    },

    async removeCanary(input: { environment: string }): Promise<void> {
      await beating('removing the canary', () => deps.target(input.environment, timeline()).removeCanary(heartbeat));
    },

    async checkHealth(input: { environment: string; track: 'stable' | 'canary' }): Promise<ServiceHealth[]> {
      return beating('reading health', () => deps.target(input.environment, timeline()).health(input.track));
    },

    /** Every service of the environment runs `expectedVersion` and is healthy. */
    async verifyEnvironment(input: { environment: string; expectedVersion: string }): Promise<VerificationReport> {
      const target = deps.target(input.environment, timeline());
      return beating(`verifying ${input.expectedVersion}`, async () =>
        verifyServices(
          input.environment,
          input.expectedVersion,
          deps.services(input.environment),
          await target.health('stable'),
          await target.health('canary'),
        ),
      );
    },

    async currentStableVersion(input: { environment: string }): Promise<string | null> {
      const health = await deps.target(input.environment, timeline()).health('stable');
      const versions = [...new Set(health.map((h) => h.version).filter((v): v is string => v !== null))];
      return versions.length === 1 ? versions[0]! : null;
    },

    async sampleCanaryMetrics(input: {
      environment: string;
    }): Promise<{ baseline: MetricSample; canary: MetricSample }> {
      return deps.metrics(input.environment, timeline()).sample(deps.services(input.environment));
    },

    /** Each service's canary and its own stable baseline, measured at one instant. */
    async sampleServiceMetrics(input: { environment: string }): Promise<ServiceSample[]> {
      return deps.metrics(input.environment, timeline()).sampleServices(deps.services(input.environment));
    },

    async notify(notification: Notification): Promise<NotificationReceipt> {
      return deps.notifier.send(notification);
    },

    async appendAudit(entry: AuditEntry): Promise<AppendResult> {
      return deps.records.appendAudit(entry);
    },

    /** Keeps the release's evidence as of its current state (queried: releases that predate recordBatch). */
    async writeEvidence(input: { workflowId: string; version: string }): Promise<string> {
      const status: ReleaseStatus = await temporal(() =>
        workflowHandle(deps.client, ReleasePromotion, input.workflowId).query(statusQuery),
      );
      return keepEvidence(status);
    },

    /**
     * A stage boundary's records in one call: the audit entries written since the last batch, then
     * (when `status` is given) the evidence as of that state (it does not query its own workflow). Each entry
     * carries its idempotency key and the evidence is a whole document, so a repeated batch adds nothing.
     */
    async recordBatch(input: { entries: AuditEntry[]; status: ReleaseStatus | null }): Promise<string> {
      let added = 0;
      for (const entry of input.entries) if ((await deps.records.appendAudit(entry)).written) added++;
      const entries = `${added} of ${input.entries.length} audit entries added`;
      return input.status ? `${entries}; ${await keepEvidence(input.status)}` : entries;
    },

    async acquireEnvironment(input: { environment: string } & LeaseRequest): Promise<LeaseAnswer> {
      const { environment, ...request } = input;
      const startWorkflowOperation = await startLedger(environment);
      return temporal(() =>
        deps.client.workflow.executeUpdateWithStart(acquireEnvironmentUpdate, {
          args: [request],
          startWorkflowOperation,
        }),
      );
    },

    /** Asks the environment's ledger for its lease by signal; the ledger answers the workflow by signal. */
    async requestEnvironment(input: { environment: string } & LeaseRequest): Promise<void> {
      const { environment, ...request } = input;
      await temporal(async () =>
        signalWithStartWorkflow(deps.client, EnvironmentLedger, {
          ...(await ledgerStartOptions(environment)),
          signal: requestLeaseSignal,
          signalArgs: [request],
        }),
      );
    },

    /** Hands the environment on (or leaves its queue) by signal. */
    async leaveEnvironment(input: LeaseRelease & { environment: string }): Promise<void> {
      const { environment, ...release } = input;
      await temporal(async () =>
        signalWithStartWorkflow(deps.client, EnvironmentLedger, {
          ...(await ledgerStartOptions(environment)),
          signal: releaseLeaseSignal,
          signalArgs: [release],
        }),
      );
    },

    async releaseEnvironment(input: {
      environment: string;
      workflowId: string;
      blockedBecause?: string;
    }): Promise<void> {
      const startWorkflowOperation = await startLedger(input.environment);
      await temporal(() =>
        deps.client.workflow.executeUpdateWithStart(releaseEnvironmentUpdate, {
          args: [{ workflowId: input.workflowId, blockedBecause: input.blockedBecause }],
          startWorkflowOperation,
        }),
      );
    },

    async recordVersion(input: { environment: string; record: VersionRecord }): Promise<EnvironmentRecords> {
      const startWorkflowOperation = await startLedger(input.environment);
      return temporal(() =>
        deps.client.workflow.executeUpdateWithStart(recordVersionUpdate, {
          args: [input.record],
          startWorkflowOperation,
        }),
      );
    },

    async environmentRecords(input: { environment: string }): Promise<EnvironmentRecords> {
      return temporal(() => readEnvironmentRecords(deps.client, input.environment, deps.taskQueue));
    },

    async exportVersionRecords(records: EnvironmentRecords): Promise<boolean> {
      return deps.records.exportVersionRecords(records);
    },

    async isWorkflowRunning(input: { workflowId: string }): Promise<boolean> {
      try {
        return (
          (await temporal(() => deps.client.workflow.getHandle(input.workflowId).describe())).status.name === 'RUNNING'
        );
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') return false;
        throw err;
      }
    },

    /** Cancels a release that holds an environment a rollback needs; its compensations then run. */
    async cancelHolder(input: { workflowId: string }): Promise<void> {
      try {
        await temporal(() => deps.client.workflow.getHandle(input.workflowId).cancel());
      } catch (err) {
        if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
      }
    },
  };
}

export type ReleaseActivities = ReturnType<typeof createActivities>;
