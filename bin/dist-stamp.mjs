// Whether dist/ was built from the sources as they are now: the build (scripts/build.mjs) writes a
// stamp holding the newest modification time among the sources when it started, and dist/ is
// current while no source is newer. bin/release-promote.mjs asks on every start, so this stats the
// files rather than hashing them: about 3 ms for the ~150 files and folders of src/ (hashing them
// would cost more than the rest of a `status`). Node built-ins only: it runs before anything else
// is known to be installed.
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written last by a successful build, removed first by every build: a failed one leaves none. */
export const STAMP = join('dist', 'build-stamp.json');

/** What the compiled output depends on besides src/ (whose every file and folder counts). */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

/**
 * The newest mtime (ms) among the sources: every file and folder under src/ (a folder's changes
 * when an entry is added, removed or renamed) and the compiler settings.
 */
export function newestSourceTime(root) {
  let newest = 0;
  for (const file of BUILD_INPUTS) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  return newest;
}

/**
 * True when dist/ holds a complete build of the current sources. An edit made while a build runs is
 * newer than the time the stamp records, so it makes dist/ stale too. Not seen: a source put back
 * with an older mtime (`cp -p`, `touch -d`); `npm run build` settles any doubt.
 */
export function distIsCurrent(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return false;
  }
  return typeof stamp?.sourcesAsOf === 'number' && newestSourceTime(root) <= stamp.sourcesAsOf;
}

export function removeStamp(root) {
  rmSync(join(root, STAMP), { force: true });
}

export function writeStamp(root, sourcesAsOf) {
  writeFileSync(
    join(root, STAMP),
    `${JSON.stringify({ sourcesAsOf, builtAt: new Date().toISOString(), node: process.version })}\n`,
  );
}
