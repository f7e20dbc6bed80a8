// The compiled CLI (dist/, from `npm run build`), run the way bin/release-promote.mjs runs it when
// there are no sources: the benchmark times `status` from both, since bin/ prefers src/ via tsx.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.exitCode = await require(join(root, 'dist', 'client', 'cli.js')).main(process.argv);
