#!/usr/bin/env node
// Entry point of the release-promote CLI. It runs the compiled JavaScript in dist/ (built by
// `npm run build`, the Docker image's build stage and the test setup): compiled, a command starts
// in a fraction of the time tsx needs to load and transform the TypeScript on every run.
//
// An installed build has no src/ and only ever runs dist/. A source checkout runs dist/ when the
// build stamp says it was built from the sources as they are now (bin/dist-stamp.mjs: a few ms of
// stat calls), and otherwise the sources through tsx, as a development convenience: an edit takes
// effect without a build to forget, and a stale dist/ is never run in its place.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { distIsCurrent } from './dist-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'client', 'cli.ts');
const require = createRequire(import.meta.url);

// A reader that stops early (`release-promote audit v1.2.3 | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

if (existsSync(source) && !distIsCurrent(root)) {
  const { register } = require('tsx/cjs/api');
  register();
  process.exitCode = await require(source).main(process.argv);
} else {
  process.exitCode = await require(join(root, 'dist', 'client', 'cli.js')).main(process.argv);
}
