// Installs the npm dependencies when they are missing or older than the lockfile, so the README's
// commands work on a fresh clone. Uses only Node built-ins (nothing else is installed yet).
import { existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  process.stderr.write('release-promote: installing npm dependencies (npm ci)...\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
