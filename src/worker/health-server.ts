// The worker's operational HTTP endpoint (node:http; the exposition by prom-client):
//
//   GET /healthz   liveness: 200 while the process serves requests at all.
//   GET /readyz    readiness: 200 while the worker state is RUNNING (polling its task queue) and
//                  its records store answers; 503 while it starts, drains, after it stopped or
//                  failed, or while the store is unreachable (the body's second line says why).
//   GET /metrics   the project's own metrics, Prometheus text format 0.0.4. The SDK's metrics
//                  (task latencies, slots, pollers, ...) have their own endpoint on
//                  RELEASE_PROMOTE_SDK_METRICS_PORT, served by the SDK's Rust core.
//
// Metrics, and where each comes from (docs/operators.md, "Metrics"):
//
// - release_promote_releases{stage}: running releases per stage. From the visibility store: a
//   count query per stage (`ExecutionStatus = "Running" AND ReleaseStage = "<stage>"`), cached
//   for 15 s. Chosen over the worker's own observations because a worker only sees the releases
//   whose tasks it happened to run, while visibility sees them all, including releases whose worker
//   restarted. Every replica reports the same global value: aggregate with max(), never sum().
// - release_promote_rollbacks_total{kind}: rollbacks started. Observed by this worker when it
//   writes a "rollback" audit entry. Audit writes are exactly-once per entry across retries and
//   replicas (the audit log refuses a key it already holds), and only the write that actually
//   appended counts, so sum() over the replicas is exact. Resets when the worker restarts, as any
//   Prometheus counter may.
// - release_promote_approval_wait_seconds{decision}: histogram of the time from a release's
//   approval request to each approval or rejection, observed when that decision's audit entry is
//   written (the request time is read back from the release's audit trail). sum() over replicas.
// - release_promote_visibility_up: 1 when the last stage count query succeeded.
// - release_promote_worker_ready: 1 while the worker state is RUNNING.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { NativeConnectionPlugin, WorkerOptions, WorkerPlugin } from '@temporalio/worker';
import type { AuditEntry } from '../shared/audit';
import type { ReleaseStage } from '../shared/release';
import type { AppendResult, RecordsStore } from '../records/store';
import { ConfigError } from '../config/load';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Stages a running release can be in (terminal stages are set just before the workflow closes). */
export const ACTIVE_STAGES: readonly ReleaseStage[] = [
  'DEV_GATES',
  'WAITING_FOR_ENVIRONMENT',
  'DEPLOYING_STAGING',
  'STAGING_SOAK',
  'AWAITING_APPROVAL',
  'CANARY',
  'CANARY_PAUSED',
  'PRODUCTION_ROLLOUT',
  'ROLLING_BACK',
];

/** Approval waits run from minutes to days: buckets in seconds, 1 min to 3 days. */
export const APPROVAL_WAIT_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200] as const;

export const METRIC_NAMES = {
  releases: 'release_promote_releases',
  rollbacks: 'release_promote_rollbacks_total',
  approvalWait: 'release_promote_approval_wait_seconds',
  visibilityUp: 'release_promote_visibility_up',
  workerReady: 'release_promote_worker_ready',
} as const;

/** Counts running releases in one stage (a visibility count query). */
export type StageCounter = (stage: ReleaseStage) => Promise<number>;

/** The visibility count query behind release_promote_releases. */
export function visibilityStageCounter(client: Client): StageCounter {
  return async (stage) => {
    const { count } = await client.workflow.count(`ExecutionStatus = "Running" AND ReleaseStage = "${stage}"`);
    return count;
  };
}

export class ReleaseMetrics {
  /** prom-client does the exposition; the values are this worker's (see the header for where each comes from). */
  readonly registry = new Registry();
  private readonly rollbacks: Counter<'kind'>;
  private readonly approvalWait: Histogram<'decision'>;
  private stageCounts: { at: number; counts: Map<ReleaseStage, number> } | null = null;
  private refreshing: Promise<void> | null = null;
  private visibilityUp = 0;

  constructor(
    private readonly o: {
      countStage?: StageCounter;
      /** How long a stage count is reused; default 15 s (scrapes from several Prometheus replicas share it). */
      cacheMs?: number;
      /** Whether the worker is RUNNING (release_promote_worker_ready). */
      ready?: () => boolean;
      now?: () => number;
      /** Where observation problems are reported (never thrown into an activity). */
      warn?: (message: string, meta?: Record<string, unknown>) => void;
    } = {},
  ) {
    const registers = [this.registry];
    // prom-client calls collect() with the metric as `this`; these read this object's state.
    const refresh = () => this.refreshStageCounts();
    const counts = () => this.stageCounts?.counts ?? [];
    const visibilityUp = () => this.visibilityUp;
    new Gauge({
      name: METRIC_NAMES.releases,
      help: 'Running releases per stage, from the Temporal visibility store (global: aggregate replicas with max).',
      labelNames: ['stage'],
      registers,
      async collect() {
        await refresh();
        this.reset();
        for (const [stage, n] of counts()) this.set({ stage }, n);
      },
    });
    this.rollbacks = new Counter({
      name: METRIC_NAMES.rollbacks,
      help: 'Rollbacks started, counted by the worker that wrote their audit entry (sum over replicas).',
      labelNames: ['kind'],
      registers,
    });
    this.rollbacks.inc({ kind: 'standard' }, 0);
    this.approvalWait = new Histogram({
      name: METRIC_NAMES.approvalWait,
      help: 'Seconds from the approval request to each approval or rejection.',
      labelNames: ['decision'],
      buckets: [...APPROVAL_WAIT_BUCKETS],
      registers,
    });
    if (o.countStage) {
      new Gauge({
        name: METRIC_NAMES.visibilityUp,
        help: 'Whether the last release count query against Temporal visibility succeeded.',
        registers,
        // Collected alongside the stage counts (prom-client runs collect() concurrently): wait for the same query.
        async collect() {
          await refresh();
          this.set(visibilityUp());
        },
      });
    }
    const ready = o.ready;
    if (ready) {
      new Gauge({
        name: METRIC_NAMES.workerReady,
        help: 'Whether the worker is RUNNING (polling its task queue).',
        registers,
        collect() {
          this.set(ready() ? 1 : 0);
        },
      });
    }
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  recordRollback(kind: string): void {
    this.rollbacks.inc({ kind });
  }

  observeApprovalWait(seconds: number, decision: 'approve' | 'reject'): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.approvalWait.observe({ decision }, seconds);
  }

  /**
   * An audit entry this worker tried to append, and whether it was actually written (a retried
   * activity or another replica may already have written it: then nothing is counted).
   */
  async observeAudit(entry: AuditEntry, result: AppendResult, records: RecordsStore): Promise<void> {
    if (!result.written) return;
    if (entry.action === 'rollback') {
      this.recordRollback(entry.kind);
      return;
    }
    if (entry.action === 'approve' || entry.action === 'hotfix_approve' || entry.action === 'reject') {
      try {
        const decidedAt = Date.parse(entry.timestamp);
        const request = (await records.auditEntries(entry.version))
          .filter(
            (e) => e.action === 'approval_request' && e.run_id === entry.run_id && Date.parse(e.timestamp) <= decidedAt,
          )
          .at(-1);
        // A decision before any request (approving during the soak) has no wait to measure.
        if (request)
          this.observeApprovalWait(
            (decidedAt - Date.parse(request.timestamp)) / 1000,
            entry.action === 'reject' ? 'reject' : 'approve',
          );
      } catch (err) {
        this.o.warn?.('could not measure the approval wait', { version: entry.version, error: err });
      }
    }
  }

  private async refreshStageCounts(): Promise<void> {
    const countStage = this.o.countStage;
    if (!countStage) return;
    const fresh = this.stageCounts && this.now() - this.stageCounts.at < (this.o.cacheMs ?? 15_000);
    if (fresh) return;
    this.refreshing ??= (async () => {
      try {
        const counts = new Map<ReleaseStage, number>();
        for (const stage of ACTIVE_STAGES) counts.set(stage, await countStage(stage));
        this.stageCounts = { at: this.now(), counts };
        this.visibilityUp = 1;
      } catch (err) {
        // Keep the previous counts out of the exposition: a stale gauge is worse than a gap.
        this.stageCounts = null;
        this.visibilityUp = 0;
        this.o.warn?.('release count query failed', { error: err });
      } finally {
        this.refreshing = null;
      }
    })();
    await this.refreshing;
  }

  /** The exposition, Prometheus text format 0.0.4. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * A plugin (for NativeConnection.connect({ plugins }); the worker inherits it) whose activity
 * interceptor feeds `metrics` from the audit entries the worker writes.
 */
export function releaseMetricsPlugin(
  metrics: ReleaseMetrics,
  records: RecordsStore,
): WorkerPlugin & NativeConnectionPlugin {
  return {
    name: 'release-promote.metrics',
    configureWorker(options: WorkerOptions): WorkerOptions {
      return {
        ...options,
        interceptors: {
          ...options.interceptors,
          activity: [
            ...(options.interceptors?.activity ?? []),
            (ctx) => ({
              inbound: {
                execute: async (input, next) => {
                  const result = await next(input);
                  if (ctx.info.activityType === 'appendAudit')
                    await metrics.observeAudit(input.args[0] as AuditEntry, result as AppendResult, records);
                  return result;
                },
              },
            }),
          ],
        },
      };
    },
  };
}

/** A port number from an environment variable, or `fallback` when it is unset or empty. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`${name} must be a port number (0-65535), not "${raw}"`);
  return port;
}

export interface HealthServerOptions {
  /** 0 picks a free port (see the returned port). */
  port: number;
  /** Default 0.0.0.0: the kubelet and Prometheus reach it from outside the pod. */
  host?: string;
  /** The worker's state, e.g. worker.getState(); ready means "RUNNING". */
  state: () => string;
  metrics: ReleaseMetrics;
  /** The worker's records store: readiness includes it (checked at most every 5 s). */
  records?: RecordsStore;
}

/** The store's answer, reused for a few seconds so frequent probes do not each open a connection. */
function storeProbe(records: RecordsStore | undefined): () => Promise<string | null> {
  let last: { at: number; problem: string | null } | null = null;
  return async () => {
    if (!records) return null;
    if (last && Date.now() - last.at < 5_000) return last.problem;
    const problem = await records.check().then(
      () => null,
      (err: Error) => err.message,
    );
    last = { at: Date.now(), problem };
    return problem;
  };
}

export interface HealthServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const storeProblem = storeProbe(o.records);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const state = o.state();
      const problem = await storeProblem();
      const store = o.records ? `records: ${problem === null ? `ok (${o.records.description})` : problem}\n` : '';
      return send(state === 'RUNNING' && problem === null ? 200 : 503, `${state}\n${store}`);
    }
    if (path === '/metrics') return send(200, await o.metrics.render(), o.metrics.registry.contentType);
    return send(404, 'not found: try /healthz, /readyz or /metrics\n');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`error: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
