#!/usr/bin/env node
// Entry point of the release-promote CLI. From a source checkout it runs the TypeScript directly
// (through tsx, so there is no build step to forget); an installed build runs the compiled code.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'client', 'cli.ts');
const require = createRequire(import.meta.url);

// A reader that stops early (`release-promote audit v1.2.3 | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

if (existsSync(source)) {
  const { register } = require('tsx/cjs/api');
  register();
  process.exitCode = await require(source).main(process.argv);
} else {
  process.exitCode = await require(join(root, 'dist', 'client', 'cli.js')).main(process.argv);
}
