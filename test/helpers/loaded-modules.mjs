// Preloaded into a CLI or worker process a test starts (node --import): when the process exits, the
// files it loaded through require (the CommonJS module cache: dist/, node_modules, and tsx with the
// sources when it ran those) go to the file $LOADED_MODULES_FILE names, one a line. test/helpers/dist-cli.ts
// reads them: what a command loads, and whether it ran the compiled code.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
// One cache for the whole process: the require made here sees every module any require loaded.
const { cache } = createRequire(import.meta.url);
if (file) process.on('exit', () => writeFileSync(file, `${Object.keys(cache).join('\n')}\n`));
