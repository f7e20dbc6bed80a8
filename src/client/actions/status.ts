// `status`, `list` and `watch`: reading releases. Loaded when one of them runs (src/client/lazy.ts):
// the Temporal client and the release's messages, and nothing of the config unless it must be read.
import { retryingRows, retryingWork } from '../retrying-work';
import { findReleaseHandle } from '../releases';
import { renderStatus } from '../render-status';
import { watchRelease } from '../watch';
import { statusQuery } from '../../shared/messages';
import type { CliContext } from '../cli-context';
import { InvalidInputError } from '../errors';

export async function showStatus(ctx: CliContext, version: string, o: { json?: boolean }): Promise<void> {
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
}

export async function listReleases(ctx: CliContext, o: { stage?: string; limit: string }): Promise<void> {
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
}

export async function watch(ctx: CliContext, version: string): Promise<void> {
  const { client } = await ctx.client();
  const status = await watchRelease(await findReleaseHandle(client, version), (line) => ctx.out(line));
  ctx.exitCode = status.outcome === 'PROMOTED' ? 0 : 1;
}
