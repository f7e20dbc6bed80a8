// A real Prometheus for the metrics tests, holding a recorded (backfilled) history instead of
// scraping, so every query answer is deterministic.
//
// The history is generated here as OpenMetrics, turned into TSDB blocks with
// `promtool tsdb create-blocks-from openmetrics`, and served by `prometheus` on a free loopback
// port with an empty config (`global: {}`: nothing is scraped). Its timestamps are fixed and long
// past (Prometheus's docs warn against backfilling the last 3 hours, which the head block owns), so
// queries pin `time=` to EVALUATION_TIME.
//
// All scenarios live in one Prometheus, each in its own `environment` label value, so a test selects
// a scenario through PrometheusMetrics' `environment` option and the production default PromQL is
// what runs. Every scenario also holds a service that is NOT measured ("workers-legacy", with a
// broken canary) so a selector that leaks past the measured services fails the healthy checks.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually';

const execFileAsync = promisify(execFile);

export const EVALUATION_TIME = new Date('2025-10-05T12:00:00Z');
/** The services the tests measure; the history also holds an unmeasured decoy. */
export const MEASURED_SERVICES = ['api-gateway', 'workers'];
export const SCENARIOS = [
  'healthy',
  'error-rate-regression',
  'latency-regression',
  'no-traffic',
  'canary-idle',
  'one-service-regression',
  'fleet-healthy',
  'canary-half-traffic',
] as const;
/** The services of 'one-service-regression': 80%, 18% and 2% of all requests. */
export const FLEET_SERVICES = ['api-gateway', 'orchestrator', 'workers'];
export type Scenario = (typeof SCENARIOS)[number];

const STEP_S = 15;
const HISTORY_S = 30 * 60;
const LE = ['0.05', '0.1', '0.2', '0.3', '0.5', '1', '2.5', '+Inf'] as const;

/** Cumulative share of requests at or below each bucket bound (same order as LE). */
type Latency = readonly number[];
const FAST: Latency = [0.5, 0.9, 0.985, 0.995, 0.999, 1, 1, 1]; // P99 ≈ 250 ms
const SLOW: Latency = [0.4, 0.8, 0.95, 0.98, 0.995, 1, 1, 1]; // P99 ≈ 430 ms
const BROKEN: Latency = [0, 0, 0, 0, 0.1, 0.2, 0.5, 1]; // P99 in the +Inf bucket

/** Requests per 15 s step by status code (fractions accumulate: 0.05 is one request every 20 steps). */
type Codes = Record<string, number>;
interface Traffic {
  codes: Codes;
  latency: Latency;
}
type Group = Traffic | 'absent';

const STABLE_GATEWAY: Traffic = { codes: { '200': 1500, '404': 15, '500': 0.75 }, latency: FAST };
const STABLE_WORKERS: Traffic = { codes: { '200': 600, '500': 0.3 }, latency: FAST };
const CANARY_GATEWAY: Traffic = { codes: { '200': 150, '404': 1.5, '500': 0.05 }, latency: FAST };
const CANARY_WORKERS: Traffic = { codes: { '200': 60 }, latency: FAST };
const IDLE: Traffic = { codes: { '200': 0, '500': 0 }, latency: FAST };

/** service → track → traffic, per scenario. */
const HISTORY: Record<Scenario, Record<string, { stable: Group; canary: Group }>> = {
  healthy: {
    'api-gateway': { stable: STABLE_GATEWAY, canary: CANARY_GATEWAY },
    workers: { stable: STABLE_WORKERS, canary: CANARY_WORKERS },
  },
  'error-rate-regression': {
    'api-gateway': { stable: STABLE_GATEWAY, canary: { codes: { '200': 145, '404': 1.5, '500': 6 }, latency: FAST } },
    workers: { stable: STABLE_WORKERS, canary: { codes: { '200': 58.5, '503': 1.5 }, latency: FAST } },
  },
  // The canary has no 5xx series at all: the default queries must read that as 0 errors.
  'latency-regression': {
    'api-gateway': { stable: STABLE_GATEWAY, canary: { codes: { '200': 150, '404': 1.5 }, latency: SLOW } },
    workers: { stable: STABLE_WORKERS, canary: { codes: { '200': 60 }, latency: SLOW } },
  },
  // No canary series at all (nothing was ever routed to it): every canary query answers empty.
  'no-traffic': {
    'api-gateway': { stable: STABLE_GATEWAY, canary: 'absent' },
    workers: { stable: STABLE_WORKERS, canary: 'absent' },
  },
  // Per service: api-gateway serves 80% of all requests, orchestrator 18%, workers 2%; each canary
  // gets 10% of its service's. Only the workers canary regresses (2.5% errors against 0.05%): +2.45 pp
  // for workers, which one aggregate over all services dilutes to about 0 pp.
  'one-service-regression': {
    'api-gateway': {
      stable: { codes: { '200': 3598.2, '500': 1.8 }, latency: FAST },
      canary: { codes: { '200': 400 }, latency: FAST },
    },
    orchestrator: {
      stable: { codes: { '200': 809.6, '500': 0.4 }, latency: FAST },
      canary: { codes: { '200': 90 }, latency: FAST },
    },
    workers: {
      stable: { codes: { '200': 89.95, '500': 0.05 }, latency: FAST },
      canary: { codes: { '200': 9.75, '500': 0.25 }, latency: FAST },
    },
  },
  // The same fleet with every canary healthy (the end-to-end Kubernetes release reads this one).
  'fleet-healthy': {
    'api-gateway': {
      stable: { codes: { '200': 3598.2, '500': 1.8 }, latency: FAST },
      canary: { codes: { '200': 399.8, '500': 0.2 }, latency: FAST },
    },
    orchestrator: {
      stable: { codes: { '200': 809.6, '500': 0.4 }, latency: FAST },
      canary: { codes: { '200': 89.96, '500': 0.04 }, latency: FAST },
    },
    workers: {
      stable: { codes: { '200': 89.95, '500': 0.05 }, latency: FAST },
      canary: { codes: { '200': 10 }, latency: FAST },
    },
  },
  // Healthy canaries that receive half of each service's requests instead of a tenth.
  'canary-half-traffic': {
    'api-gateway': { stable: STABLE_GATEWAY, canary: STABLE_GATEWAY },
    workers: { stable: STABLE_WORKERS, canary: STABLE_WORKERS },
  },
  // Canary series exist but do not move: 0 requests, and every ratio is 0/0 = NaN.
  'canary-idle': {
    'api-gateway': { stable: STABLE_GATEWAY, canary: IDLE },
    workers: { stable: STABLE_WORKERS, canary: IDLE },
  },
};

const DECOY: { service: string; stable: Group; canary: Group } = {
  service: 'workers-legacy',
  stable: STABLE_WORKERS,
  canary: { codes: { '200': 500, '500': 500 }, latency: BROKEN },
};

/** The recorded history as an OpenMetrics text file (every sample timestamped; ends with # EOF). */
export function historyOpenMetrics(): string {
  const end = EVALUATION_TIME.getTime() / 1000;
  const steps = HISTORY_S / STEP_S;
  const groups: Array<{ labels: string; traffic: Traffic }> = [];
  for (const scenario of SCENARIOS) {
    const services = { ...HISTORY[scenario], [DECOY.service]: { stable: DECOY.stable, canary: DECOY.canary } };
    for (const [service, tracks] of Object.entries(services)) {
      for (const track of ['stable', 'canary'] as const) {
        const traffic = tracks[track];
        if (traffic !== 'absent')
          groups.push({ labels: `environment="${scenario}",service="${service}",track="${track}"`, traffic });
      }
    }
  }
  // Counters start at an arbitrary offset, as on a long-running pod; floor() keeps them integral.
  const series = (name: string, labels: string, at: (step: number) => number): string[] => {
    const lines: string[] = [];
    for (let i = 0; i <= steps; i++) lines.push(`${name}{${labels}} ${at(i)} ${end - (steps - i) * STEP_S}`);
    return lines;
  };
  const out: string[] = ['# TYPE http_requests counter'];
  for (const { labels, traffic } of groups) {
    for (const [code, perStep] of Object.entries(traffic.codes)) {
      out.push(...series('http_requests_total', `${labels},code="${code}"`, (i) => 1000 + Math.floor(i * perStep)));
    }
  }
  out.push('# TYPE http_request_duration_seconds histogram');
  for (const { labels, traffic } of groups) {
    const perStep = Object.values(traffic.codes).reduce((a, b) => a + b, 0);
    LE.forEach((le, b) => {
      const share = traffic.latency[b] ?? 1;
      out.push(
        ...series(
          'http_request_duration_seconds_bucket',
          `${labels},le="${le}"`,
          (i) => 1000 + Math.floor(i * perStep * share),
        ),
      );
    });
    out.push(...series('http_request_duration_seconds_count', labels, (i) => 1000 + Math.floor(i * perStep)));
    out.push(...series('http_request_duration_seconds_sum', labels, (i) => 100 + Math.floor(i * perStep * 0.08)));
  }
  out.push('# EOF', '');
  return out.join('\n');
}

export interface RunningPrometheus {
  baseUrl: string;
  evaluationTime: Date;
  stop(): Promise<void>;
}

/** Backfills the history into a temporary TSDB and serves it; call stop() when done. */
export async function startPrometheus(): Promise<RunningPrometheus> {
  const { prometheus, promtool } = await ensureBinaries();
  const dir = await mkdtemp(path.join(tmpdir(), 'release-promote-prometheus-'));
  try {
    const history = path.join(dir, 'history.om');
    const data = path.join(dir, 'data');
    const config = path.join(dir, 'prometheus.yml');
    await writeFile(history, historyOpenMetrics());
    await writeFile(config, 'global: {}\n');
    await execFileAsync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', history, data], {
      maxBuffer: 8 * 1024 * 1024,
    }).catch((err: unknown) => {
      throw new Error(`promtool could not backfill the test history: ${errorText(err)}`);
    });
    // The port is found free, then handed over; another process may take it in between, so retry.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const child = spawn(
        prometheus,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${data}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // Retention counts back from the newest block, but keep old history unconditionally.
          '--storage.tsdb.retention.time=100y',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const log = captureOutput(child);
      try {
        await waitUntilReady(baseUrl, child, log);
      } catch (err) {
        await terminate(child);
        if (attempt < 3 && /address already in use/.test(log())) continue;
        throw err;
      }
      return {
        baseUrl,
        evaluationTime: EVALUATION_TIME,
        stop: async () => {
          await terminate(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Uses scripts/prometheus/ensure-prometheus.sh, which honours PROMETHEUS_PATH / PROMTOOL_PATH. */
async function ensureBinaries(): Promise<{ prometheus: string; promtool: string }> {
  const script = path.resolve(__dirname, '../../scripts/prometheus/ensure-prometheus.sh');
  const { stdout } = await execFileAsync('bash', [script]).catch((err: unknown) => {
    throw new Error(`Prometheus is needed for these tests and could not be set up: ${errorText(err)}`);
  });
  const prometheus = /^PROMETHEUS=(.+)$/m.exec(stdout)?.[1];
  const promtool = /^PROMTOOL=(.+)$/m.exec(stdout)?.[1];
  if (prometheus === undefined || promtool === undefined)
    throw new Error(`ensure-prometheus.sh printed no paths: ${stdout}`);
  return { prometheus, promtool };
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, log: () => string): Promise<void> {
  let exited: string | null = null;
  await eventually(
    `prometheus at ${baseUrl} to be ready`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        exited = `prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`;
        return true;
      }
      return (await fetch(`${baseUrl}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok;
    },
    { intervalMs: 100, describe: log },
  );
  if (exited !== null) throw new Error(exited);
}

function captureOutput(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const stderr = (err as { stderr?: unknown }).stderr;
    return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : err.message;
  }
  return String(err);
}
