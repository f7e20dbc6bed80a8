// The default PromQL behind the canary analysis, and the substitution of the template placeholders.
//
// The defaults assume the conventional HTTP server metrics, labelled per pod group:
//   http_requests_total{service, track, environment, code}           (counter, one series per status code)
//   http_request_duration_seconds_bucket{service, track, environment, le}   (histogram)
// where track is "stable" for the baseline and "canary" for the canary, and the environment label
// (name configurable, or none) holds the environment name, e.g. production.
//
// Readings (documented in the README):
// - requests: requests the services answered in the window, summed over the services.
// - errorRatePct: 5xx answers as a percentage of all answers.
// - availabilityPct: answers that were not 5xx, as a percentage of all answers. A 4xx is the client's
//   mistake and the service was available to give it, as in Flagger's request-success-rate. So it is
//   100 − errorRatePct whenever there is traffic; it is its own query so a custom template can
//   define availability differently (e.g. from probes).
// - p99Ms: the 99th percentile of request duration over the window, from the histogram, in ms.
// The 5xx and non-5xx numerators use `or vector(0)`: a service that never answered a 5xx has no
// 5xx series at all, which means 0 errors, not "no data". The denominator has no such fallback, so
// no traffic at all still yields no data (an empty answer) and idle traffic yields NaN (0/0): both
// are read as null, never as 0% errors.
import { formatDuration } from '../../shared/duration-format';

export type QueryName = 'requests' | 'errorRatePct' | 'p99Ms' | 'availabilityPct';
export type Track = 'stable' | 'canary';
export type PromQueries = Record<QueryName, string>;

export const QUERY_NAMES: readonly QueryName[] = ['requests', 'errorRatePct', 'p99Ms', 'availabilityPct'];

// `{{selector}}`: PromQL's label-matcher braces around the {selector} placeholder.
const ALL = 'http_requests_total{{selector}}';
const ERRORS = 'http_requests_total{{selector},code=~"5.."}';
const NON_ERRORS = 'http_requests_total{{selector},code!~"5.."}';

export const DEFAULT_QUERIES: PromQueries = {
  requests: `sum(increase(${ALL}[{window}]))`,
  errorRatePct: `100 * (sum(increase(${ERRORS}[{window}])) or vector(0)) / sum(increase(${ALL}[{window}]))`,
  availabilityPct: `100 * (sum(increase(${NON_ERRORS}[{window}])) or vector(0)) / sum(increase(${ALL}[{window}]))`,
  p99Ms:
    '1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{selector}}[{window}])))',
};

export interface TemplateContext {
  services: string[];
  track: Track;
  environment: string;
  /** Label holding the environment name; null leaves the environment out of {selector}. */
  environmentLabel: string | null;
  windowMs: number;
}

const PLACEHOLDER = /\{(selector|service|track|environment|window)\}/g;

/** Fills a template's placeholders; values are escaped for a PromQL double-quoted string. */
export function renderQuery(template: string, ctx: TemplateContext): string {
  const service = servicesRegex(ctx.services);
  const matchers = [`service=~"${promString(service)}"`, `track="${ctx.track}"`];
  if (ctx.environmentLabel !== null) matchers.push(`${ctx.environmentLabel}="${promString(ctx.environment)}"`);
  const values: Record<string, string> = {
    selector: matchers.join(','),
    // {service} and {environment} go inside quotes the template writes, so they are escaped too.
    service: promString(service),
    track: ctx.track,
    environment: promString(ctx.environment),
    window: formatDuration(ctx.windowMs),
  };
  return template.replace(PLACEHOLDER, (_match, name: string) => values[name] ?? '');
}

/** An RE2 alternation matching exactly the given services (Prometheus anchors regex matchers). */
export function servicesRegex(services: string[]): string {
  return services.map((s) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
}

function promString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
