// release-promote: start and steer releases from a terminal. Every command validates its input
// before touching Temporal, and every error is one line with what to do about it. Starting the CLI
// loads only commander and the commands' declarations: each command loads what it uses when it runs
// (src/client/lazy.ts).
import { Command } from 'commander';
import { ConfigError } from '../config/errors';
import { RecordsSchemaBehind, RecordsStoreUnavailable } from '../records/store';
import { TemporalUnreachableError } from '../workflow-api/errors';
import { InvalidInputError, NoWorkerError, ReleaseEndedError, ReleaseNotFoundError } from './errors';
import { registerHistoryCommand } from './commands/history';
import { registerMigrateCommand } from './commands/migrate';
import { registerOperationsCommands } from './commands/operations';
import { registerRecordsCommands } from './commands/records';
import { registerReleaseCommands } from './commands/releases';
import { registerServiceCommands } from './commands/services';
import { registerSlackCommands } from './commands/slack';
import { createCliContext, PROCESS_IO, type CliContext, type CliIo, type Globals } from './cli-context';

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

  const ctx = createCliContext(() => program.opts<Globals>(), io);

  registerReleaseCommands(program, ctx);
  registerOperationsCommands(program, ctx);
  registerRecordsCommands(program, ctx);
  registerMigrateCommand(program, ctx);
  registerHistoryCommand(program, ctx);
  registerServiceCommands(program, ctx);
  registerSlackCommands(program, ctx);
  return { program, ctx };
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
