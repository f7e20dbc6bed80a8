// The CLI run in this process (main() with its output captured), for tests where a separate process
// is not the point: much faster than spawning node with tsx for every command. The environment the
// command reads (RELEASE_PROMOTE_*, TEMPORAL_*) is set for the call and restored after it.
import { main } from '../../src/client/cli';
import type { Run } from './processes';

let running = false;

export async function runCliInProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  if (running) throw new Error('runCliInProcess: one command at a time (it sets process.env)');
  running = true;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(['node', 'release-promote', ...args], {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
    });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    running = false;
  }
}
