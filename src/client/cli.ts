// release-promote: start and steer releases from a terminal. Every command validates its input
// before touching Temporal, and every error is one line with what to do about it.
import { retryingRows, retryingWork } from './retrying-work';
import { registerMigrateCommand } from './commands/migrate';
import { registerHistoryCommand } from './commands/history';
import { openRecordsStore } from '../records/open-store';
import { RecordsSchemaBehind, RecordsStoreUnavailable, type RecordsStore } from '../records/store';
import { Command, Option } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { loadConfig, ConfigError, configPath, readConfigFile, releasePolicy } from '../config/load';
import { configuredPolicyDifferences } from '../config/policy-diff';
import type { Config } from '../config/schema';
import { connectClient, TemporalUnreachableError } from '../workflow-api/connection';
import { findReleaseHandle, ReleaseEndedError, ReleaseNotFoundError, runningRelease } from './releases';
import { startRelease, type StartOutcome, type StartRequest } from './start-release';
import { InvalidInputError, NoWorkerError } from './errors';
import { renderStatus } from './render-status';
import { watchRelease } from './watch';
import {
  approveUpdate,
  cancelUpdate,
  pauseDecisionUpdate,
  rejectUpdate,
  requestCanaryUpdate,
  statusQuery,
} from '../shared/messages';
import { commitProblem, identityProblem, versionProblem } from '../shared/identifiers';
import { registerOperationsCommands } from './commands/operations';
import { registerRecordsCommands } from './commands/records';
import { registerServiceCommands } from './commands/services';
import { registerSlackCommands } from './commands/slack';
import { defaultIdentity, PROCESS_IO, requireValid, type CliContext, type CliIo, type Globals } from './cli-context';

export function buildCli(io: CliIo = PROCESS_IO): { program: Command; ctx: CliContext } {
  const program = new Command('release-promote')
    .description(
      'Durable release promotion on Temporal: Dev → Staging (2h soak) → 10% Canary (30 min) → Production, with gates, approvals, automatic rollback and an audit trail.',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $RELEASE_PROMOTE_CONFIG or ./release-promote.yaml, else built-in defaults)',
    )
    // Set before any subcommand exists: subcommands copy these settings when they are created.
    // Usage errors become one line and exit code 2 (main), like every other input error.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`release-promote: ${text.trim().replace(/^error: /, '')} (see --help)\n`),
    })
    .addHelpText(
      'after',
      '\nConnection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* and TEMPORAL_PROFILE, as for the temporal CLI.\nIdentity: --approver/--requested-by, default $RELEASE_PROMOTE_USER or @<login>.',
    );

  let connected: { client: Client; namespace: string; close: () => Promise<void> } | null = null;
  let config: Config | null = null;
  let records: RecordsStore | null = null;
  const ctx: CliContext = {
    config: () => (config ??= loadConfig(program.opts<Globals>().config)),
    configFile: () => configPath(program.opts<Globals>().config),
    client: async () => {
      if (!connected) {
        const { client, connection, namespace } = await connectClient();
        connected = { client, namespace, close: () => connection.close() };
      }
      return connected;
    },
    records: () => (records ??= openRecordsStore(ctx.config().records)),
    close: async () => {
      await connected?.close();
      await records?.close();
    },
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
    exitCode: 0,
  };

  program
    .command('start')
    .description('start promoting a release: dev gates, then staging, soak, approval, canary and production')
    .argument('<version>', 'release version, like v1.2.3')
    .requiredOption('--commit <sha>', 'commit the release was built from')
    .option('--requested-by <identity>', 'who starts the release (may not approve it)', defaultIdentity())
    .option('--ci-run-id <id>', 'CI run that built the release')
    .option(
      '--again',
      'promote a version that was already promoted a second time (audited); without it a re-run for the same commit does nothing',
    )
    .addHelpText(
      'after',
      "\nThe rules (approvers, gates, thresholds, durations) are the installation's, from the workers' config; the release records them.\nRe-running for a version in flight or promoted from the same commit starts nothing and exits 0.",
    )
    .action(async (version: string, o: { commit: string; requestedBy: string; ciRunId?: string; again?: boolean }) => {
      requireValid(versionProblem(version), commitProblem(o.commit), identityProblem(o.requestedBy));
      await start(ctx, {
        version,
        commitSha: o.commit,
        requestedBy: o.requestedBy,
        ciRunId: o.ciRunId,
        again: o.again,
      });
    });

  program
    .command('hotfix')
    .description(
      'fast-track a hotfix to canary and production, skipping staging; needs two approvals from different approvers',
    )
    .argument('<version>', 'hotfix version, like v1.2.4')
    .option('--commit <sha>', 'commit of the hotfix (default: the tag, resolved by git)')
    .addOption(
      new Option(
        '--skip-staging',
        'required: acknowledges that staging and its soak are skipped',
      ).makeOptionMandatory(),
    )
    .option('--approver1 <identity>', 'first approver to ask (each confirms with "approve")')
    .option('--approver2 <identity>', 'second approver to ask')
    .option('--requested-by <identity>', 'who requests the hotfix (may not approve it)', defaultIdentity())
    .option('--ci-run-id <id>', 'CI run that built the hotfix')
    .action(
      async (
        version: string,
        o: { commit?: string; approver1?: string; approver2?: string; requestedBy: string; ciRunId?: string },
      ) => {
        requireValid(
          versionProblem(version),
          o.approver1 ? identityProblem(o.approver1) : null,
          o.approver2 ? identityProblem(o.approver2) : null,
        );
        if (Boolean(o.approver1) !== Boolean(o.approver2))
          throw new InvalidInputError(
            'name both --approver1 and --approver2, or neither (then any two approvers may approve)',
          );
        const commitSha = o.commit ?? (await resolveTag(version));
        const asked = o.approver1 && o.approver2 ? [o.approver1, o.approver2] : [];
        const outcome = await start(ctx, {
          version,
          commitSha,
          requestedBy: o.requestedBy,
          ciRunId: o.ciRunId,
          kind: 'hotfix',
          hotfixApprovers: asked,
        });
        if (outcome.started)
          ctx.out(
            `approval requested from ${asked.length ? asked.join(' and ') : 'two approvers'}: each confirms with "release-promote approve ${version} --approver=@them"`,
          );
      },
    );

  program
    .command('request-canary')
    .description('ask the approvers to approve canary promotion of a release')
    .argument('<version>')
    .option('--requested-by <identity>', 'who asks', defaultIdentity())
    .action(async (version: string, o: { requestedBy: string }) => {
      requireValid(versionProblem(version), identityProblem(o.requestedBy));
      const ack = await update(ctx, version, (h) =>
        h.executeUpdate(requestCanaryUpdate, { args: [{ requestedBy: o.requestedBy, channel: 'cli' }] }),
      );
      ctx.out(ack.message);
    });

  program
    .command('approve')
    .description(
      "approve a release for canary (or a hotfix); needs the role the installation's policy names (RELEASE_APPROVER by default)",
    )
    .argument('<version>')
    .requiredOption('--approver <identity>', 'who approves, like @alice')
    .option('--not-before <time>', 'do not start the canary before this ISO time (a scheduled promotion)')
    .option('--note <text>', 'a note kept with the approval')
    .action(async (version: string, o: { approver: string; notBefore?: string; note?: string }) => {
      requireValid(
        versionProblem(version),
        identityProblem(o.approver),
        o.notBefore && Number.isNaN(Date.parse(o.notBefore)) ? `"${o.notBefore}" is not an ISO time` : null,
      );
      const ack = await update(ctx, version, (h) =>
        h.executeUpdate(approveUpdate, {
          args: [{ approver: o.approver, channel: 'cli', notBefore: o.notBefore ?? null, note: o.note ?? null }],
        }),
      );
      ctx.out(ack.message);
    });

  program
    .command('reject')
    .description('reject a release waiting for approval; it ends without reaching the canary')
    .argument('<version>')
    .requiredOption('--approver <identity>', 'who rejects')
    .requiredOption('--reason <text>', 'why')
    .action(async (version: string, o: { approver: string; reason: string }) => {
      requireValid(versionProblem(version), identityProblem(o.approver));
      const ack = await update(ctx, version, (h) =>
        h.executeUpdate(rejectUpdate, { args: [{ approver: o.approver, channel: 'cli', reason: o.reason }] }),
      );
      ctx.out(ack.message);
    });

  for (const decision of ['resume', 'abort'] as const) {
    program
      .command(decision)
      .description(
        decision === 'resume'
          ? 'resume a paused canary (paused time does not count toward its minimum)'
          : 'roll back a paused canary',
      )
      .argument('<version>')
      .requiredOption('--approver <identity>', 'who decides (the role the policy names for resume or abort)')
      .option('--reason <text>', 'why')
      .action(async (version: string, o: { approver: string; reason?: string }) => {
        requireValid(versionProblem(version), identityProblem(o.approver));
        const ack = await update(ctx, version, (h) =>
          h.executeUpdate(pauseDecisionUpdate, {
            args: [
              {
                approver: o.approver,
                channel: 'cli',
                decision: decision === 'resume' ? 'resume' : 'rollback',
                reason: o.reason ?? null,
              },
            ],
          }),
        );
        ctx.out(ack.message);
      });
  }

  program
    .command('cancel')
    .description(
      'cancel a release; anything it deployed to production is undone first (needs the role the policy names for cancel)',
    )
    .argument('<version>')
    .option('--requested-by <identity>', 'who cancels', defaultIdentity())
    .option('--reason <text>', 'why')
    .action(async (version: string, o: { requestedBy: string; reason?: string }) => {
      requireValid(versionProblem(version), identityProblem(o.requestedBy));
      const ack = await update(ctx, version, (h) =>
        h.executeUpdate(cancelUpdate, {
          args: [{ requestedBy: o.requestedBy, channel: 'cli', reason: o.reason ?? null }],
        }),
      );
      ctx.out(`${ack.message} ("release-promote watch ${version}")`);
    });

  program
    .command('status')
    .description("show a release's stage, gates, approvals, soak and canary")
    .argument('<version>')
    .option('--json', 'machine-readable output')
    .action(async (version: string, o: { json?: boolean }) => {
      requireValid(versionProblem(version));
      const { client } = await ctx.client();
      const handle = await findReleaseHandle(client, version);
      const status = await handle.query(statusQuery).catch((err: Error) => {
        throw new InvalidInputError(
          `could not read ${handle.workflowId} (${err.message}): is a worker running on task queue "${ctx.config().temporal.taskQueue}"? Start one with "release-promote worker"`,
        );
      });
      const retrying = await retryingWork(handle);
      if (o.json) return ctx.out(JSON.stringify({ ...status, retrying }, null, 2));
      ctx.out(renderStatus(status, Date.now(), retryingRows(retrying)));
    });

  program
    .command('list')
    .description('list releases (newest first) with their stage')
    .option('--stage <stage>', 'only releases in this stage, like CANARY')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (o: { stage?: string; limit: string }) => {
      const { client } = await ctx.client();
      const filter = [`ReleaseVersion IS NOT NULL`, o.stage ? `ReleaseStage = '${o.stage.replace(/'/g, '')}'` : null]
        .filter(Boolean)
        .join(' AND ');
      let n = 0;
      for await (const wf of client.workflow.list({ query: filter })) {
        const attrs = wf.typedSearchAttributes;
        const get = (name: string) => String(attrs.getAll().find((p) => p.key.name === name)?.value ?? '-');
        ctx.out(
          `${get('ReleaseVersion').padEnd(12)} ${get('ReleaseKind').padEnd(9)} ${get('ReleaseStage').padEnd(20)} ${wf.status.name.padEnd(10)} ${wf.workflowId}  ${wf.startTime.toISOString()}`,
        );
        if (++n >= Number(o.limit)) break;
      }
      if (n === 0) ctx.out('no releases found');
    });

  program
    .command('watch')
    .description('follow a release live until it ends (exit 0 when promoted)')
    .argument('<version>')
    .action(async (version: string) => {
      requireValid(versionProblem(version));
      const { client } = await ctx.client();
      const status = await watchRelease(await findReleaseHandle(client, version), (line) => ctx.out(line));
      ctx.exitCode = status.outcome === 'PROMOTED' ? 0 : 1;
    });

  registerOperationsCommands(program, ctx);
  registerRecordsCommands(program, ctx);
  registerMigrateCommand(program, ctx);
  registerHistoryCommand(program, ctx);
  registerServiceCommands(program, ctx);
  registerSlackCommands(program, ctx);
  return { program, ctx };
}

/** Sends a decision to a running release; one on an ended release gets its outcome instead (exit 2). */
async function update<T>(ctx: CliContext, version: string, send: (h: WorkflowHandle) => Promise<T>): Promise<T> {
  const { client } = await ctx.client();
  const handle = await runningRelease(client, version);
  try {
    return await send(handle);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new InvalidInputError(`refused: ${err.cause?.message ?? err.message}`);
    // It ended between the look-up and the decision: say how.
    if (err instanceof WorkflowNotFoundError || /already completed/.test(String((err as Error).message)))
      await runningRelease(client, version);
    throw err;
  }
}

const shown = (value: unknown) => (value === undefined ? 'not set' : JSON.stringify(value));

/** Starts a release (or reports the existing one) and says which rules apply. */
async function start(ctx: CliContext, req: StartRequest): Promise<StartOutcome> {
  const { client, namespace } = await ctx.client();
  const outcome = await startRelease(client, ctx.config(), req);
  ctx.out(outcome.message);
  if (!outcome.started) return outcome;
  const file = ctx.configFile();
  if (file !== null) {
    // The release follows the installation's rules whatever this file says; say where they differ.
    const differences = configuredPolicyDifferences(
      readConfigFile(file),
      releasePolicy(ctx.config(), namespace),
      outcome.admission.policy,
    );
    if (differences.length > 0) {
      ctx.err(
        `release-promote: note: your config's policy differs from the installation's, which applies: ${differences.map((d) => `${d.field} (yours ${shown(d.yours)}, installation ${shown(d.installation)})`).join('; ')}`,
      );
    }
  }
  ctx.out(`follow it with "release-promote watch ${req.version}"`);
  return outcome;
}

async function resolveTag(version: string): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  try {
    return execFileSync('git', ['rev-list', '-n', '1', version], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw new InvalidInputError(`cannot resolve tag ${version} with git; pass --commit <sha>`);
  }
}

/**
 * Errors people can act on are printed as one line: bad input or a refusal exits 2, no worker to
 * answer exits 1. Anything else is a bug and keeps its stack (with RELEASE_PROMOTE_DEBUG).
 */
export function describeError(err: unknown): { message: string; expected: boolean; exitCode: 1 | 2 } {
  const input = [
    InvalidInputError,
    ConfigError,
    TemporalUnreachableError,
    ReleaseNotFoundError,
    ReleaseEndedError,
  ].some((t) => err instanceof t);
  const expected = input || [NoWorkerError, RecordsStoreUnavailable, RecordsSchemaBehind].some((t) => err instanceof t);
  return { message: (err as Error).message ?? String(err), expected, exitCode: input ? 2 : 1 };
}

/** Runs the CLI and returns its exit code (bin/release-promote.mjs sets the process's to it). */
export async function main(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const { program, ctx } = buildCli(io);
  const code = await run(program, ctx, argv, io);
  await ctx.close();
  if (ctx.exitProcessWhenDone && io === PROCESS_IO) process.exit(code);
  return code;
}

async function run(program: Command, ctx: CliContext, argv: string[], io: CliIo): Promise<number> {
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('commander.'))
      return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
    const { message, expected, exitCode } = describeError(err);
    io.stderr(`release-promote: ${message}\n`);
    if (!expected && process.env.RELEASE_PROMOTE_DEBUG) io.stderr(`${(err as Error).stack}\n`);
    return exitCode;
  }
}
