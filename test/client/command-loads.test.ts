// Each command loads only what it uses: the compiled CLI (node bin/release-promote.mjs, running
// dist/) is run for a few commands, and the modules each process loaded are checked. `status` and
// `list` load the Temporal client but not the worker SDK, Kubernetes, tracing, node-postgres, the
// metrics library or the HTTP client, and not the config's YAML and schema either when they do not
// read the config; help loads no Temporal at all; `audit` over the files store loads no Temporal and
// no node-postgres. Temporal is an address nothing listens on (the commands fail to connect, as
// they would against a server that is down), so no server is needed.
// Run: node --import tsx --test test/client/command-loads.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { freePort } from '../helpers/processes';
import { assertRanDist, ensureDistBuilt, HEAVY_PACKAGES, loadedOf, runBin } from '../helpers/dist-cli';

let dir: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  ensureDistBuilt();
  dir = mkdtempSync(join(tmpdir(), 'release-promote-loads-'));
  const configFile = join(dir, 'release-promote.yaml');
  writeFileSync(
    configFile,
    stringify({
      records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
    }),
  );
  env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|RELEASE_PROMOTE_|OTEL_)/.test(key)),
  );
  Object.assign(env, {
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_CONFIG_FILE: join(dir, 'no-temporal-profile.toml'),
    RELEASE_PROMOTE_CONFIG: configFile,
  });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runBin(args, { cwd: dir, env });

test('help loads commander and the declarations of the commands, nothing of Temporal', async () => {
  for (const args of [['--help'], ['status', '--help'], ['worker', '--help'], ['demo', '--help']]) {
    const run = await cli(...args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /^Usage: release-promote/);
    assertRanDist(run.loaded);
    assert.deepEqual(loadedOf(run.loaded, [...HEAVY_PACKAGES, '@temporalio/*', 'yaml']), [], args.join(' '));
  }
});

test('the demo help still lists the scenarios, loaded when the help is shown', async () => {
  const run = await cli('demo', '--help');
  assert.match(run.stdout, /Scenarios: healthy, /);
});

test('status and list load the Temporal client, not the worker SDK, Kubernetes, tracing, pg, axios or the config', async () => {
  const [status, list] = await Promise.all([cli('status', 'v1.2.3'), cli('list')]);
  for (const [name, run] of [
    ['status', status],
    ['list', list],
  ] as const) {
    assert.equal(run.code, 2, `${name}: ${run.stderr}`);
    assert.match(run.stderr, /^release-promote: cannot reach Temporal at 127\.0\.0\.1:\d+ .*\n$/);
    assertRanDist(run.loaded);
    assert.ok(run.loaded.packages.has('@temporalio/client'), `${name} loaded the Temporal client`);
    assert.deepEqual(loadedOf(run.loaded, [...HEAVY_PACKAGES, 'zod', 'yaml']), [], name);
  }
});

test('audit over the files store loads neither Temporal nor node-postgres', async () => {
  const run = await cli('audit', 'v1.2.3');
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /no audit entries for v1\.2\.3 in /);
  assertRanDist(run.loaded);
  assert.deepEqual(loadedOf(run.loaded, [...HEAVY_PACKAGES, '@temporalio/*']), []);
});
