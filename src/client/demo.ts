// The demo: a real Temporal dev server with its Web UI, a worker in this process, and one release
// driven through every stage on the simulated target, approving as a configured demo approver.
// Durations are scaled down (and said so on screen); everything else is the production code path.
import { rmSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { parseConfig } from '../config/load';
import { startDevServer, type DevServer } from '../servers/dev-server';
import { runWorker, type RunningWorker } from '../worker/main';
import { startRelease } from './start-release';
import { watchRelease } from './watch';
import { approveUpdate, pauseDecisionUpdate, requestCanaryUpdate } from '../shared/messages';
import { BUILT_IN_SCENARIOS } from '../shared/scenarios';
import { InvalidInputError } from './errors';

export const DEMO_APPROVER = '@alice';
/** What each scenario ends in at demo scale (the soak is shorter than unhealthy-staging's outage, so it passes). */
const DEMO_OUTCOMES: Record<string, string> = {
  healthy: 'PROMOTED',
  'unhealthy-staging': 'PROMOTED',
  'failing-gates': 'GATES_FAILED',
  'rollback-failure': 'ROLLBACK_FAILED',
};
export const DEMO_REQUESTER = '@release-bot';
const DEMO_STATE = '.release-promote/demo';

export function demoConfig(scenario: string, webUiUrl: string) {
  return parseConfig(
    {
      temporal: { webUiUrl },
      roles: { RELEASE_APPROVER: [DEMO_APPROVER, '@bob'] },
      stages: {
        staging: { soak: '20s', healthCheckInterval: '5s', maxTotalSoak: '2m' },
        approval: { reminderInterval: '30s' },
        canary: { minDuration: '30s', analysisInterval: '5s', pauseReminderInterval: '30s' },
      },
      // Scenarios are scripted in minutes of a real canary; at demo scale a minute passes in a second.
      simulation: { scenario, stateDir: `${DEMO_STATE}/simulated`, timeScale: 60 },
    },
    'demo settings',
  );
}

export async function runDemo(o: {
  scenario: string;
  version: string;
  keepOpen: boolean;
  out: (line: string) => void;
}): Promise<number> {
  const { out } = o;
  const scenario = BUILT_IN_SCENARIOS[o.scenario];
  if (!scenario)
    throw new InvalidInputError(
      `unknown scenario "${o.scenario}" (choose from ${Object.keys(BUILT_IN_SCENARIOS).join(', ')})`,
    );
  const expected = DEMO_OUTCOMES[o.scenario] ?? 'ROLLED_BACK';

  out(`release-promote demo — scenario "${scenario.name}": ${scenario.description}`);
  out('Durations are scaled for the demo: staging soak 20s (real default 2h), health checks every 5s (5m),');
  out("canary minimum 30s (30m), canary analysis every 5s (1m); the scenario's scripted minutes pass in seconds.");
  out('Everything else is the production code path.');
  out('Starting the Temporal dev server (first run builds it with Go; later runs reuse it)...');

  let server: DevServer | null = null;
  let worker: RunningWorker | null = null;
  try {
    server = await startDevServer({ port: 7233, uiPort: 8233 }).catch((err: Error) => {
      if (!/already in use/.test(err.message)) throw err;
      out('ports 7233/8233 are taken (another Temporal server?); using free ports instead');
      return startDevServer({ port: 0 });
    });
    const uiUrl = server.uiUrl ?? 'http://localhost:8233';
    out(`Temporal dev server on ${server.address}, Web UI ${uiUrl}`);
    rmSync(DEMO_STATE, { recursive: true, force: true });
    const config = demoConfig(o.scenario, uiUrl);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    worker = await runWorker({
      mode: 'embedded',
      config,
      address: server.address,
      notify: (line) => {
        const n = JSON.parse(line) as { notification: string; msg: string };
        out(`  ✉ ${n.notification}: ${n.msg}`);
      },
    });
    out(`worker running on task queue ${config.temporal.taskQueue}`);

    const { handle, message } = await startRelease(client, config, {
      version: o.version,
      commitSha: 'a1b2c3d4e5f6a7b8',
      requestedBy: DEMO_REQUESTER,
      ciRunId: 'demo-1',
    });
    out(message);
    out(`follow it in the Web UI: ${uiUrl}/namespaces/default/workflows/${handle.workflowId}`);

    let requested = false;
    let approved = false;
    let decided = false;
    const status = await watchRelease(handle, out, {
      intervalMs: 500,
      onStatus: async (s) => {
        if (!requested && s.stage === 'STAGING_SOAK') {
          requested = true;
          out(`  $ release-promote request-canary ${s.version} --requested-by=${DEMO_REQUESTER}`);
          const ack = await handle.executeUpdate(requestCanaryUpdate, {
            args: [{ requestedBy: DEMO_REQUESTER, channel: 'cli' }],
          });
          out(`    ${ack.message}`);
        }
        if (!approved && requested && s.stage === 'STAGING_SOAK' && s.soak.checks >= 2) {
          approved = true;
          out(
            `  $ release-promote approve ${s.version} --approver=${DEMO_APPROVER}   (the configured demo approver; the canary waits for the soak too)`,
          );
          const ack = await handle.executeUpdate(approveUpdate, {
            args: [{ approver: DEMO_APPROVER, channel: 'cli' }],
          });
          out(`    ${ack.message}`);
        }
        if (!decided && s.stage === 'CANARY_PAUSED') {
          decided = true;
          out(`  $ release-promote abort ${s.version} --approver=${DEMO_APPROVER} --reason="regression confirmed"`);
          const ack = await handle.executeUpdate(pauseDecisionUpdate, {
            args: [{ approver: DEMO_APPROVER, channel: 'cli', decision: 'rollback', reason: 'regression confirmed' }],
          });
          out(`    ${ack.message}`);
        }
      },
    });

    out('');
    out(`${status.version}: ${status.outcome} — ${status.outcomeReason}`);
    out(
      `evidence: ${config.records.evidenceDir}/${status.version}/{promotion.log,metrics.json,approval.json}; audit: ${config.records.auditDir}/${status.version}.jsonl`,
    );
    out(`Web UI: ${uiUrl}/namespaces/default/workflows/${handle.workflowId}`);
    if (o.keepOpen) {
      out('--keep-open: the dev server and Web UI stay up; Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
    if (status.outcome !== expected) out(`demo FAILED: expected ${expected} for scenario ${o.scenario}`);
    return status.outcome === expected ? 0 : 1;
  } finally {
    worker?.stop();
    await worker?.done.catch(() => undefined);
    await server?.stop();
  }
}
