// `npm run bench`: release-promote against a bare workflow (one timer), side by side on the Temporal
// dev server, at each N. Prints Markdown tables (stdout) and progress (stderr). See docs/benchmark.md.
//
//   npm run bench -- [--n 10,100,1000] [--status-runs 9] [--concurrency 50] [--park-timeout 600] [--keep]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseReleaseWorkflowId } from '../../src/shared/identifiers';
import { bareSide } from './bare';
import { timeStatus } from './cli-timing';
import { productSide } from './product';
import { stopAllChildren } from './processes';
import { comparisonTable, helperTable, stageTable, statusTable, summaryTable, type NResult } from './report';
import { startBenchServer, type BenchServer } from './servers';
import { measureSide, type SideRun } from './side';
import { binRunsFrom, bundleBareWorkflow, startBareWorker, startProductWorker, writeProductConfig } from './workers';

const PRODUCT_TASK_QUEUE = 'bench-release-promote';
const BARE_TASK_QUEUE = 'bench-bare';

interface Options {
  ns: number[];
  statusRuns: number;
  concurrency: number;
  parkTimeoutMs: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '10,100' },
      'status-runs': { type: 'string', default: '9' },
      concurrency: { type: 'string', default: '50' },
      'park-timeout': { type: 'string', default: '600' },
      keep: { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, raw: string, min = 1): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, not "${raw}"`);
    return value;
  };
  return {
    ns: values.n.split(',').map((raw) => positive('n', raw.trim())),
    statusRuns: positive('status-runs', values['status-runs'], 0),
    concurrency: positive('concurrency', values.concurrency),
    parkTimeoutMs: positive('park-timeout', values['park-timeout']) * 1000,
    keep: values.keep,
  };
}

const benchStarted = Date.now();
function log(line: string): void {
  process.stderr.write(`[${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
}

let currentServer: BenchServer | null = null;
/** The running N's directory, removed when the benchmark is interrupted (unless --keep). */
let currentDir: { path: string; keep: boolean } | null = null;

async function runN(n: number, o: Options): Promise<NResult> {
  const dir = mkdtempSync(path.join(tmpdir(), `release-promote-bench-${n}-`));
  currentDir = { path: dir, keep: o.keep };
  log(`N = ${n}: starting a dev server (state and logs in ${dir})`);
  const bench = await startBenchServer(dir);
  currentServer = bench;
  let result: NResult;
  try {
    result = await measureN(n, o, dir, bench);
  } catch (err) {
    // The workers' and the server's logs explain a failure: keep them.
    currentDir.keep = true;
    throw err;
  } finally {
    await bench.close();
    currentServer = null;
  }
  currentDir = null;
  if (o.keep) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  return result;
}

async function measureN(n: number, o: Options, dir: string, { client, server }: BenchServer): Promise<NResult> {
  const sideOptions = { n, concurrency: o.concurrency, parkTimeoutMs: o.parkTimeoutMs, serverPid: server.pid, log };
  // The sides run one after the other, so neither competes with the other for the two cores.
  const bundle = await bundleBareWorkflow(dir);
  const bareWorker = startBareWorker({ dir, address: server.address, taskQueue: BARE_TASK_QUEUE, bundle });
  let bare: SideRun;
  try {
    bare = await measureSide(client, bareSide(client, bareWorker, BARE_TASK_QUEUE, n), sideOptions);
  } finally {
    await bareWorker.stop();
  }

  const { file, config } = writeProductConfig(dir, PRODUCT_TASK_QUEUE);
  const productFrom = await binRunsFrom();
  const productWorker = await startProductWorker({ dir, address: server.address, configFile: file });
  try {
    const product = await measureSide(client, productSide(client, productWorker, config, n), sideOptions);
    // The release in the soak has the fullest status; any parked release would do.
    const target =
      product.measured.find((s) => product.park.states.get(s.workflowId) === 'STAGING_SOAK') ?? product.measured[0];
    const version = target && parseReleaseWorkflowId(target.workflowId)?.version;
    let status = null;
    if (target && version && o.statusRuns > 0) {
      log(`product: timing \`status ${version}\` against \`temporal workflow describe\` (${o.statusRuns} runs each)`);
      status = await timeStatus({
        address: server.address,
        configFile: file,
        version,
        workflowId: target.workflowId,
        runs: o.statusRuns,
      });
    }
    return { n, productFrom, product, bare, status };
  } finally {
    await productWorker.stop();
  }
}

function printN(r: NResult, o: Options): void {
  const out = (text = '') => process.stdout.write(`${text}\n`);
  out(`## N = ${r.n.toLocaleString('en-US')}`);
  out();
  out(comparisonTable(r));
  out();
  out(
    `The product's worker ran \`release-promote worker\` from ${r.productFrom}` +
      (r.productFrom === 'dist/'
        ? '.'
        : ': dist/ was missing or older than the sources (`npm run build` first to measure the compiled form).'),
  );
  out();
  out('release-promote, by where each release parked (means per release):');
  out();
  out(stageTable(r.product));
  out();
  out(helperTable(r.product));
  for (const side of [r.product, r.bare])
    if (side.startFailures.length)
      out(
        `\n${side.name}: ${side.startFailures.length} starts failed; the first: ${side.startFailures[0]?.slice(0, 300)}`,
      );
  if (r.status) {
    out();
    out(statusTable(r.status, o.statusRuns));
  }
  out();
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  // The starter waits this long for the worker to admit a release; a large burst queues admissions
  // behind the worker's backlog, and a start that gives up after the default 30 s is not a failure to measure.
  process.env.RELEASE_PROMOTE_WORKER_WAIT ??= String(Math.max(600, Math.ceil(o.parkTimeoutMs / 1000)));
  const results: NResult[] = [];
  for (const n of o.ns) {
    const result = await runN(n, o);
    printN(result, o);
    results.push(result);
  }
  process.stdout.write(`## Summary (release-promote / bare workflow = ratio)\n\n${summaryTable(results)}\n`);
}

/** Stops what this N started; the directory goes too, unless --keep (its logs explain a failure). */
async function cleanUp(): Promise<void> {
  await stopAllChildren();
  await currentServer?.close().catch(() => undefined);
  if (currentDir && !currentDir.keep) rmSync(currentDir.path, { recursive: true, force: true });
  else if (currentDir) log(`kept ${currentDir.path}`);
}

async function shutdown(signal: string): Promise<void> {
  log(`${signal}: stopping the workers and the dev server`);
  await cleanUp();
  process.exit(130);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanUp();
    process.exit(1);
  },
);
