// The connection every Kubernetes integration (the deployment target, the Gateway API router) opens:
// credentials from a kubeconfig (a file, the default loading rules, or the pod's service account),
// an optional context, who we are for error messages, and per-request options that carry a timeout
// and the activity's cancellation.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type {
  ConfigurationOptions,
  KubeConfig,
  ObservableMiddleware,
  RequestContext,
  ResponseContext,
} from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { KubeIdentity } from './errors';

export type K8s = typeof K8sModule;

export interface KubeConnectionOptions {
  /** The environment's name (staging, production), for messages. */
  environment: string;
  /** Path of a kubeconfig; omitted means the default loading rules (KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  /** Kubeconfig context to use instead of its current one. */
  context?: string;
  /** Use the pod's service account. */
  inCluster: boolean;
}

/** How often a waiting integration reads the API server again, and how long one request may take. */
export interface KubeTiming {
  /** Longest pause between two reads while waiting for a status (the first reads come sooner). Default 1 s. */
  pollIntervalMs?: number;
  /** How long one API request may take before it counts as the server being unreachable. Default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_POLL_MS = 1_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface KubeConnection {
  /** The client library (ESM-only, loaded once with a dynamic import). */
  k8s: K8s;
  kubeConfig: KubeConfig;
  identity: KubeIdentity;
  /** Options for one request: aborted by `signal`, with `contentType` for patches. */
  options: (signal: AbortSignal, contentType?: string) => ConfigurationOptions<ObservableMiddleware>;
}

/**
 * Loads the credentials `o` names; a ConfigError (non-retryable) says what is wrong with them.
 * `contextSetting` is the config key of `o.context`, for the message when the context does not exist.
 */
export async function loadKubeConnection(o: KubeConnectionOptions, contextSetting: string): Promise<KubeConnection> {
  const k8s: K8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const source = o.inCluster
    ? "the pod's service account"
    : o.kubeconfig
      ? `kubeconfig ${o.kubeconfig}`
      : 'the default kubeconfig (KUBECONFIG or ~/.kube/config)';
  try {
    if (o.inCluster) {
      if (!process.env.KUBERNETES_SERVICE_HOST)
        throw new Error('KUBERNETES_SERVICE_HOST is not set: the worker is not running in a pod');
      kc.loadFromCluster();
    } else if (o.kubeconfig) {
      kc.loadFromFile(o.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `cannot load Kubernetes credentials for ${o.environment} from ${source}: ${(err as Error).message}`,
      'ConfigError',
    );
  }
  if (o.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === o.context)) {
      throw ApplicationFailure.nonRetryable(
        `${source} has no context "${o.context}" (${contextSetting}); it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
        'ConfigError',
      );
    }
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw ApplicationFailure.nonRetryable(
      `${source} names no cluster for context "${kc.getCurrentContext()}"`,
      'ConfigError',
    );
  const identity: KubeIdentity = {
    server: cluster.server,
    credentials: o.inCluster
      ? "the pod's service account"
      : `kubeconfig context "${kc.getCurrentContext()}" (user ${kc.getCurrentUser()?.name ?? 'none'})`,
  };
  const passThrough = <R>(value: R) => new k8s.Observable(Promise.resolve(value));
  return {
    k8s,
    kubeConfig: kc,
    identity,
    options: (signal, contentType) => {
      const withSignal: ObservableMiddleware = {
        pre: (request: RequestContext) => {
          request.setSignal(signal);
          return passThrough(request);
        },
        post: (response: ResponseContext) => passThrough(response),
      };
      const base: ConfigurationOptions<ObservableMiddleware> = {
        middleware: [withSignal],
        middlewareMergeStrategy: 'append',
      };
      return contentType ? k8s.setHeaderOptions('Content-Type', contentType, base) : base;
    },
  };
}

/** The running activity's cancellation signal; undefined outside an activity (tests, scripts). */
export function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Waits `ms`, or rejects as soon as the running activity is cancelled. */
export function pause(ms: number): Promise<void> {
  const cancellation = activityCancellation();
  return new Promise((resolve, reject) => {
    if (cancellation?.aborted) {
      reject(cancellation.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancellation?.reason as Error);
    };
    const timer = setTimeout(() => {
      cancellation?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    cancellation?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Loads once and shares the result; a failed load is forgotten, so the next call (a retry) loads again. */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    }));
}

/**
 * One API request: aborted after `timeoutMs` (then a retryable KubernetesUnreachable naming the
 * server and what was asked) or when the activity is cancelled (the cancellation is rethrown);
 * any other failure goes through `explain`.
 */
export async function kubeRequest<T>(
  o: { server: string; timeoutMs: number; what: string; explain: (err: unknown) => Error },
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const cancellation = activityCancellation();
  const signal = cancellation ? AbortSignal.any([timeout, cancellation]) : timeout;
  try {
    return await send(signal);
  } catch (err) {
    if (cancellation?.aborted) throw cancellation.reason;
    if (timeout.aborted)
      throw ApplicationFailure.retryable(
        `the Kubernetes API server at ${o.server} did not answer within ${seconds(o.timeoutMs)} (${o.what})`,
        'KubernetesUnreachable',
      );
    throw o.explain(err);
  }
}

/** 30s, 2.5s, 0.1s. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) || s >= 10 ? Math.round(s) : s.toFixed(1)}s`;
}
