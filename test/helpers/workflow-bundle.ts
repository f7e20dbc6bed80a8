// The workflow bundle for tests, built once and cached on disk by a hash of the workflow sources,
// so each test file (node:test runs one process per file) does not pay webpack again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = join(__dirname, '..', '..');
const SOURCES = [
  'src/workflows',
  'src/shared',
  'src/activities/ports.ts',
  'src/activities/index.ts',
  'package-lock.json',
];

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full).flatMap((name) => files(join(path, name)));
}

export async function workflowBundle(): Promise<{ code: string }> {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(files).sort()) hash.update(file).update(readFileSync(file));
  const dir = join(ROOT, 'node_modules', '.cache', 'release-promote');
  const path = join(dir, `workflow-bundle-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(path)) return { code: readFileSync(path, 'utf8') };
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: quietLogger,
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, bundle.code);
  return bundle;
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (msg: string) => console.error(msg),
  log: noop,
};
