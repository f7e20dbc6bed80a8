// Canary metrics from Prometheus: the stable baseline and the canary measured by the same queries
// at the same instant, differing only in the track label. The queries and their readings are in
// promql-defaults.ts; the HTTP edge and its error rules in prometheus-client.ts.
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { metricsSchema } from '../../config/integrations-schema';
import type { MetricSample } from '../../shared/release';
import type { MetricsSource } from '../ports';
import type { ServiceSample } from '../../shared/service-verdict';
import { instantQuery, type PrometheusEndpoint, type QueryOutcome } from './prometheus-client';
import { DEFAULT_QUERIES, QUERY_NAMES, renderQuery, type PromQueries, type Track } from './promql-defaults';

export type PrometheusConfig = Extract<z.output<typeof metricsSchema>, { provider: 'prometheus' }>;

export interface PrometheusMetricsOptions {
  /** The environment the canary runs in (e.g. production); matched by config.environmentLabel. */
  environment: string;
  /** The instant to measure at. Production measures now; tests pin it to their recorded history. */
  evaluationTime?: () => Date;
}

export class PrometheusMetrics implements MetricsSource {
  private readonly queries: PromQueries;
  private readonly evaluationTime: () => Date;

  constructor(
    private readonly config: PrometheusConfig,
    private readonly options: PrometheusMetricsOptions,
  ) {
    this.queries = { ...DEFAULT_QUERIES, ...definedOnly(config.queries) };
    this.evaluationTime = options.evaluationTime ?? (() => new Date());
  }

  async sample(services: string[]): Promise<{ baseline: MetricSample; canary: MetricSample }> {
    if (services.length === 0) {
      throw ApplicationFailure.nonRetryable(
        'no services to measure: the environment lists no services',
        'InvalidMetricsRequest',
      );
    }
    const endpoint = this.endpoint();
    // One instant for all eight queries, so baseline and canary cover the same window.
    const time = this.evaluationTime();
    const [baseline, canary] = await Promise.all([
      this.sampleTrack('stable', services, endpoint, time),
      this.sampleTrack('canary', services, endpoint, time),
    ]);
    return { baseline, canary };
  }

  async sampleServices(services: string[]): Promise<ServiceSample[]> {
    const endpoint = this.endpoint();
    // One instant for every query of every service, so all of them cover the same window.
    const time = this.evaluationTime();
    return Promise.all(
      services.map(async (service) => {
        const queries = { ...this.queries, ...definedOnly(this.config.serviceQueries[service] ?? {}) };
        const [baseline, canary] = await Promise.all([
          this.sampleTrack('stable', [service], endpoint, time, queries),
          this.sampleTrack('canary', [service], endpoint, time, queries),
        ]);
        return { service, baseline, canary };
      }),
    );
  }

  private async sampleTrack(
    track: Track,
    services: string[],
    endpoint: PrometheusEndpoint,
    time: Date,
    queries: PromQueries = this.queries,
  ): Promise<MetricSample> {
    const ctx = {
      services,
      track,
      environment: this.options.environment,
      environmentLabel: this.config.environmentLabel,
      windowMs: this.config.window,
    };
    const outcomes = await Promise.all(
      QUERY_NAMES.map(
        async (name) =>
          [
            name,
            await instantQuery(
              endpoint,
              renderQuery(queries[name], ctx),
              time,
              `${services.length === 1 ? `${services[0]} ` : ''}${track} ${name}`,
            ),
          ] as const,
      ),
    );
    const byName = Object.fromEntries(outcomes) as Record<(typeof QUERY_NAMES)[number], QueryOutcome>;
    const errors = outcomes.flatMap(([, o]) => ('queryError' in o ? [o.queryError] : []));
    const requests = valueOf(byName.requests);
    return {
      // increase() extrapolates to the window's edges, so counts come back fractional.
      requests: requests === null ? null : Math.round(requests),
      errorRatePct: valueOf(byName.errorRatePct),
      p99Ms: valueOf(byName.p99Ms),
      availabilityPct: valueOf(byName.availabilityPct),
      queryError: errors.length === 0 ? null : errors.join('; '),
    };
  }

  private endpoint(): PrometheusEndpoint {
    const envName = this.config.authHeaderEnv;
    let authorization: string | null = null;
    if (envName !== undefined) {
      const value = process.env[envName];
      if (value === undefined || value === '') {
        throw ApplicationFailure.nonRetryable(
          `the environment variable ${envName} (metrics.authHeaderEnv) is not set on the worker; it must hold the Authorization header for Prometheus, e.g. "Bearer <token>"`,
          'PrometheusAuthError',
        );
      }
      authorization = value;
    }
    return {
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeout,
      authorization,
      authHint:
        envName === undefined
          ? 'no metrics.authHeaderEnv is configured; does this Prometheus need one?'
          : `the Authorization header in ${envName}, named by metrics.authHeaderEnv`,
    };
  }
}

function valueOf(outcome: QueryOutcome): number | null {
  return 'value' in outcome ? outcome.value : null;
}

function definedOnly(queries: Partial<PromQueries>): Partial<PromQueries> {
  return Object.fromEntries(Object.entries(queries).filter(([, q]) => q !== undefined));
}
