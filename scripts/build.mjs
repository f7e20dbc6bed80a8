// The build (`npm run build`): compiles src/ to dist/ with tsc, bundles the workflow code once
// (dist/workflow-bundle.js, scripts/build-workflow-bundle.ts), then writes the stamp that tells
// bin/release-promote.mjs dist/ is current (bin/dist-stamp.mjs). One line of output when it works;
// the compiler's or the bundler's own messages when it does not.
//
//   node scripts/build.mjs             always build
//   node scripts/build.mjs --if-stale  build only when dist/ is missing or older than the sources
//                                      (`npm run demo`, so a fresh clone's demo runs compiled code)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsCurrent, newestSourceTime, removeStamp, writeStamp } from '../bin/dist-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ifStale = process.argv.includes('--if-stale');

if (ifStale && distIsCurrent(root)) process.exit(0);
if (ifStale) process.stderr.write('release-promote: building dist/ (it is missing or older than src/)...\n');

const started = Date.now();
// Taken before compiling: an edit made while the build runs is newer, so it leaves dist/ stale.
const sourcesAsOf = newestSourceTime(root);
removeStamp(root);

function run(what, args, stdout) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', stdout, 'inherit'] });
  if (result.status !== 0) {
    if (stdout === 'pipe') process.stdout.write(result.stdout);
    process.stderr.write(`build: ${what} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
  return result.stdout?.toString().trim() ?? '';
}

// tsc prints nothing when it succeeds, and its errors on stdout.
run('tsc', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], 'inherit');
const bundled = run('the workflow bundle', ['--import', 'tsx', 'scripts/build-workflow-bundle.ts'], 'pipe');
writeStamp(root, sourcesAsOf);
process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)}s (tsc; ${bundled})\n`);
