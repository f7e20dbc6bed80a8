// An installation's processes for end-to-end tests: `release-promote worker` as a process of its own (so a
// test can SIGKILL it) and CLI commands. The worker is started through the
// CLI entry point with free health and metrics ports, returned once it polls its task queue.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './processes';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');

/** `bin`: another copy's entry point (an upgrade test's next version); this checkout's by default. */
export async function startWorkerProcess(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  bin?: string;
}): Promise<ChildProcess> {
  const worker = spawn(process.execPath, [options.bin ?? BIN, 'worker'], {
    cwd: options.cwd,
    env: {
      ...options.env,
      RELEASE_PROMOTE_HEALTH_PORT: String(await freePort()),
      RELEASE_PROMOTE_SDK_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  worker.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  worker.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await eventually(
      'the worker to poll',
      () => {
        if (worker.exitCode !== null) assert.fail(`worker exited early: ${output}`);
        return /polling task queue|worker state.*RUNNING|"RUNNING"/i.test(output);
      },
      { timeoutMs: 60_000, intervalMs: 100, describe: () => output },
    );
  } catch (err) {
    worker.kill('SIGKILL');
    throw err;
  }
  return worker;
}

/** What an installation's processes are given: the Temporal server's address and the installation's config. */
export function installationEnv(address: string, configFile: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    RELEASE_PROMOTE_CONFIG: configFile,
  };
}

/** One CLI command as a process of its own, run to its end. */
export function cliProcess(options: { cwd: string; env: NodeJS.ProcessEnv }, ...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
