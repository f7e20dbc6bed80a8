// `start` and `hotfix`: starting a release under the installation's policy. Loaded when one of them
// runs (src/client/lazy.ts).
import { execFileSync } from 'node:child_process';
import { readConfigFile, releasePolicy } from '../../config/load';
import { configuredPolicyDifferences } from '../../config/policy-diff';
import { startRelease, type StartOutcome, type StartRequest } from '../start-release';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';

export async function startStandard(
  ctx: CliContext,
  version: string,
  o: { commit: string; requestedBy: string; ciRunId?: string; again?: boolean },
): Promise<void> {
  await start(ctx, {
    version,
    commitSha: o.commit,
    requestedBy: o.requestedBy,
    ciRunId: o.ciRunId,
    again: o.again,
  });
}

export async function startHotfix(
  ctx: CliContext,
  version: string,
  o: { commit?: string; approver1?: string; approver2?: string; requestedBy: string; ciRunId?: string },
): Promise<void> {
  const commitSha = o.commit ?? resolveTag(version);
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

function resolveTag(version: string): string {
  try {
    return execFileSync('git', ['rev-list', '-n', '1', version], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw new InvalidInputError(`cannot resolve tag ${version} with git; pass --commit <sha>`);
  }
}
