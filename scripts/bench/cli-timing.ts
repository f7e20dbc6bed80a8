// How long `release-promote status` takes against `temporal workflow describe` on the same parked
// release (issue 15's target: at most 6×), each a fresh process as a person runs it. Runs are
// interleaved, after one unmeasured warm-up each, so the disk cache and machine load favour none.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { temporalCliPath } from '../../src/servers/locate';
import { median } from './history-stats';
import { childEnv, timedRun } from './processes';
import { binRunsFrom, RELEASE_PROMOTE_BIN } from './workers';

const DIST_CLI = path.join(__dirname, '..', '..', 'dist', 'client', 'cli.js');

export interface CommandTiming {
  label: string;
  runsMs: number[];
  medianMs: number;
  /** Why it could not be measured (its warm-up run failed), or null. */
  failure: string | null;
}

interface Command {
  label: string;
  command: string;
  args: string[];
}

export async function timeStatus(o: {
  address: string;
  configFile: string;
  version: string;
  workflowId: string;
  runs: number;
}): Promise<CommandTiming[]> {
  const env = childEnv({
    TEMPORAL_ADDRESS: o.address,
    TEMPORAL_NAMESPACE: 'default',
    RELEASE_PROMOTE_CONFIG: o.configFile,
  });
  const binFrom = await binRunsFrom();
  const commands: Command[] = [
    {
      label: `\`release-promote status\` (bin/, runs ${binFrom})`,
      command: process.execPath,
      args: [RELEASE_PROMOTE_BIN, 'status', o.version],
    },
  ];
  // The compiled CLI as well when bin/ runs the sources (that dist/ is then older than the sources).
  if (binFrom !== 'dist/' && existsSync(DIST_CLI))
    commands.push({
      label: '`release-promote status` (dist/, last build)',
      command: process.execPath,
      args: [path.join(__dirname, 'dist-cli.mjs'), 'status', o.version],
    });
  commands.push(
    {
      label: '`temporal workflow describe`',
      command: await temporalCliPath(),
      args: ['workflow', 'describe', '--workflow-id', o.workflowId, '--address', o.address, '--namespace', 'default'],
    },
    { label: "`node -e ''` (Node's own start)", command: process.execPath, args: ['-e', ''] },
  );

  const timings = new Map<Command, CommandTiming>();
  for (const c of commands) {
    const warmUp = await timedRun(c.command, c.args, env);
    const failure =
      warmUp.code === 0 ? null : `exit ${warmUp.code}: ${(warmUp.stderr || warmUp.stdout).trim().split('\n')[0]}`;
    timings.set(c, { label: c.label, runsMs: [], medianMs: NaN, failure });
  }
  for (let run = 0; run < o.runs; run++) {
    for (const c of commands) {
      const timing = timings.get(c)!;
      if (timing.failure !== null) continue;
      const result = await timedRun(c.command, c.args, env);
      if (result.code !== 0) {
        timing.failure = `exit ${result.code}: ${(result.stderr || result.stdout).trim().split('\n')[0]}`;
        continue;
      }
      timing.runsMs.push(result.ms);
    }
  }
  return commands.map((c) => {
    const timing = timings.get(c)!;
    return { ...timing, medianMs: median(timing.runsMs) };
  });
}
