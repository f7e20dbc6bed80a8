// The Slack gateway: a small HTTP server (node:http) Slack calls when someone clicks a release
// message's button or types `/release …`. It turns those into workflow Updates and queries.
//
// - Every request must carry Slack's signature (signature.ts); anything else gets 401, nothing done.
// - Slack wants an answer within 3 seconds, so the gateway acknowledges at once and does the work
//   afterwards, reporting through the request's response_url (an ephemeral verdict for the person,
//   and for button clicks the original message rewritten with who decided and when).
// - A Slack user acts as the identity `users` maps them to; unmapped users can do nothing.
// - Slack re-sends requests it believes unanswered (X-Slack-Retry-Num) and people double-click.
//   Neither may approve twice: a delivery seen before is dropped (dedupe.ts), a re-delivery after a
//   restart reuses its Update ID, and the workflow's validator refuses a second approval anyway,
//   which the person sees as "already approved", not as an error.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { actionForId, VIEW_IN_TEMPORAL_ACTION_ID } from '../../shared/slack-blocks';
import type { NotificationAction } from '../../shared/notifications';
import { statusQuery } from '../../shared/messages';
import { findReleaseHandle, ReleaseEndedError, ReleaseNotFoundError, runningRelease } from '../releases';
import { NoWorkerError } from '../errors';
import { parseReleaseCommand, usage, type ReleaseCommand } from './commands';
import { SeenDeliveries } from './dedupe';
import { sendDecision, stillNeedsApprovals, type Decision } from './decisions';
import {
  parseButtonValue,
  parseInteraction,
  parseSlashCommand,
  type BlockActionsPayload,
  type SlashCommand,
} from './payloads';
import { ephemeral, NOT_MAPPED, outcomeLine, replaceOriginal, statusSummary, verdictText } from './replies';
import { ResponseUrlPoster, type ResponseMessage } from './response-url';
import { verifySlackSignature } from './signature';
import { COMMANDS_PATH, INTERACTIONS_PATH } from './paths';

export { COMMANDS_PATH, INTERACTIONS_PATH };

export interface RollbackRequest {
  environment: string;
  /** The version to go back to; absent means the environment's previous version. */
  version?: string;
  requestedBy: string;
}

export interface SlackGatewayOptions {
  client: Client;
  /** Slack user ID → identity, e.g. { U012AB3CD: '@alice' } (slack.users in the config). */
  users: Record<string, string>;
  /** The Slack app's signing secret. Never logged. */
  signingSecret: string;
  /** 0 picks a free port (see the returned url). */
  port: number;
  /** Interface to listen on; default 0.0.0.0 (Slack, or the proxy in front, must reach it). */
  host?: string;
  /** Clock in ms, for the signature's 5-minute window, the dedupe TTL and "decided at" times. */
  now?: () => number;
  /**
   * Where Slack lives for this gateway. response_urls are only followed to https://hooks.slack.com
   * or to this URL's origin (tests point it at a fake Slack).
   */
  slackApiBaseUrl?: string;
  /** Starts a manual rollback (`/release rollback production [v1.2.2]`); resolves to what to tell the person. */
  startRollback: (request: RollbackRequest) => Promise<string>;
  /** How long a delivery is remembered for dropping Slack's re-sends; default 15 minutes. */
  dedupeTtlMs?: number;
  /** One line per event; default stderr. Never given secrets, tokens or response_urls. */
  log?: (line: string) => void;
}

export interface SlackGateway {
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Stops accepting requests and waits for the work already acknowledged to finish. */
  stop(): Promise<void>;
  /** Resolves when every acknowledged request has been answered (for tests and graceful shutdown). */
  idle(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startSlackGateway(options: SlackGatewayOptions): Promise<SlackGateway> {
  if (options.signingSecret.trim() === '')
    throw new Error("the Slack gateway needs the app's signing secret (slack.signingSecretEnv is empty)");
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(`[slack-gateway] ${line}`));
  const seen = new SeenDeliveries(options.dedupeTtlMs ?? 15 * 60_000, now);
  const replies = new ResponseUrlPoster(options.slackApiBaseUrl);
  const pending = new Set<Promise<void>>();

  /** Runs acknowledged work in the background; failures are logged, never crash the server. */
  const later = (what: string, work: () => Promise<void>): void => {
    const p = work()
      .catch((err: unknown) => log(`${what} failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  /** How a release ended, for a decision that arrived after the end. */
  const endedLine = async (version: string): Promise<string> => {
    try {
      await runningRelease(options.client, version);
    } catch (err) {
      if (err instanceof ReleaseEndedError) return err.message;
    }
    throw new Error(`${version} has not ended`);
  };

  const reply = async (responseUrl: string, message: ResponseMessage): Promise<void> => {
    await replies.post(responseUrl, message);
  };

  // ---- button clicks ----

  const onInteraction = (form: URLSearchParams, headers: IncomingHttpHeaders, res: ServerResponse): void => {
    const parsed = parseInteraction(form);
    if ('problem' in parsed) {
      log(`refused an interaction: ${parsed.problem}`);
      return send(res, 400, 'text/plain', parsed.problem);
    }
    // Slack only needs a 200 for an interaction; what the person sees comes through response_url.
    send(res, 200, 'text/plain', '');
    if ('ignored' in parsed) return log(parsed.ignored);

    const p = parsed.payload;
    const action = p.actions[0];
    if (action === undefined || action.action_id === VIEW_IN_TEMPORAL_ACTION_ID) return;
    const name = actionForId(action.action_id);
    if (name === null) return log(`ignored a click on unknown action ${action.action_id}`);

    const key = `click:${p.user.id}:${action.action_ts}:${action.action_id}`;
    if (!seen.firstTime(key)) {
      return log(`dropped a repeated delivery of ${p.user.id}'s ${name} click${retryNote(headers)}`);
    }
    later(`${p.user.id}'s ${name} click`, () =>
      handleClick(p, name, action.value, `slack-${p.user.id}-${action.action_ts}`),
    );
  };

  const handleClick = async (
    p: BlockActionsPayload,
    name: NotificationAction,
    value: string | undefined,
    updateId: string,
  ): Promise<void> => {
    const responseUrl = p.response_url;
    if (responseUrl === undefined) {
      log(`${p.user.id}'s ${name} click came without a response_url (not from a message); ignored`);
      return;
    }
    const identity = options.users[p.user.id];
    if (identity === undefined) return reply(responseUrl, ephemeral(NOT_MAPPED));
    const release = parseButtonValue(value);
    if ('problem' in release)
      return reply(
        responseUrl,
        ephemeral(`⚠️ This button does not name a release (${release.problem}); nothing was done.`),
      );

    const decision = decisionForButton(name, identity);
    const handle = options.client.workflow.getHandle(release.workflowId);
    const verdict = await sendDecision(handle, identity, decision, updateId, () => endedLine(release.version));
    log(`${identity} (${p.user.id}) ${name} ${release.version} via button: ${verdict.outcome}`);

    if (verdict.outcome === 'accepted' && p.message !== undefined) {
      // Buttons stay while a hotfix still waits for its second approver; when in doubt (the query
      // failed) too, since the validator refuses whatever is no longer open.
      const keepButtons =
        decision.kind === 'approve' ? await handle.query(statusQuery).then(stillNeedsApprovals, () => true) : false;
      await reply(
        responseUrl,
        replaceOriginal(p.message, outcomeLine(decision, identity, p.user.id, now(), verdict.ack.message), keepButtons),
      );
    }
    await reply(responseUrl, ephemeral(verdictText(decision, release.version, verdict)));
  };

  // ---- slash commands ----

  const onCommand = (form: URLSearchParams, headers: IncomingHttpHeaders, res: ServerResponse): void => {
    const parsed = parseSlashCommand(form);
    if ('problem' in parsed) {
      log(`refused a slash command: ${parsed.problem}`);
      return send(res, 400, 'text/plain', parsed.problem);
    }
    const cmd = parsed.command;
    const answer = (text: string) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(ephemeral(text)));
    if (!seen.firstTime(`command:${cmd.user_id}:${cmd.trigger_id}`)) {
      log(`dropped a repeated delivery of ${cmd.user_id}'s ${cmd.command} command${retryNote(headers)}`);
      return send(res, 200, 'text/plain', '');
    }
    const identity = options.users[cmd.user_id];
    if (identity === undefined) return answer(NOT_MAPPED);
    const command = parseReleaseCommand(cmd.text);
    if ('problem' in command) return answer(`${command.problem}\n\n${usage(cmd.command)}`);
    if (command.verb === 'help') return answer(usage(cmd.command));

    answer(`⏳ Working on it: ${cmd.command} ${cmd.text.trim()}`);
    later(`${cmd.user_id}'s ${cmd.command} ${command.verb}`, async () => {
      const text = await runCommand(command, identity, cmd);
      await reply(cmd.response_url, ephemeral(text));
    });
  };

  const runCommand = async (
    command: Exclude<ReleaseCommand, { verb: 'help' }>,
    identity: string,
    cmd: SlashCommand,
  ): Promise<string> => {
    if (command.verb === 'rollback') {
      try {
        const request: RollbackRequest = { environment: command.environment, requestedBy: identity };
        if (command.version !== null) request.version = command.version;
        const message = await options.startRollback(request);
        log(
          `${identity} (${cmd.user_id}) started a rollback of ${command.environment}${command.version ? ` to ${command.version}` : ''}`,
        );
        return `⏪ ${message}`;
      } catch (err) {
        // Started, but no worker has taken it up yet: it goes on when one does.
        if (err instanceof NoWorkerError) return `⚠️ The rollback of ${command.environment} is waiting: ${err.message}`;
        return `⚠️ The rollback of ${command.environment} was not started: ${err instanceof Error ? err.message : String(err)}`;
      }
    }

    let handle: WorkflowHandle;
    try {
      // status reads any release, decisions only a running one (an ended one answers with its outcome).
      handle =
        command.verb === 'status'
          ? await findReleaseHandle(options.client, command.version)
          : await runningRelease(options.client, command.version);
    } catch (err) {
      if (err instanceof ReleaseNotFoundError) return `🔍 ${err.message}`;
      if (err instanceof ReleaseEndedError) return `🏁 ${err.message}`;
      return `⚠️ Could not look up ${command.version} in Temporal: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (command.verb === 'status') {
      try {
        return statusSummary(await handle.query(statusQuery));
      } catch (err) {
        return `⚠️ Could not read the status of ${handle.workflowId}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const decision = decisionForCommand(command);
    const verdict = await sendDecision(handle, identity, decision, `slack-${cmd.user_id}-${cmd.trigger_id}`, () =>
      endedLine(command.version),
    );
    log(`${identity} (${cmd.user_id}) ${command.verb} ${command.version} via ${cmd.command}: ${verdict.outcome}`);
    return verdictText(decision, command.version, verdict);
  };

  // ---- HTTP ----

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, 'text/plain', 'use GET', { allow: 'GET' });
      return send(res, 200, 'text/plain', 'ok');
    }
    if (path !== INTERACTIONS_PATH && path !== COMMANDS_PATH) return send(res, 404, 'text/plain', 'not found');
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'use POST', { allow: 'POST' });

    readBody(req, MAX_BODY_BYTES).then(
      (raw) => {
        if (raw === null) return send(res, 413, 'text/plain', 'request body too large');
        const check = verifySlackSignature(
          options.signingSecret,
          {
            signature: header(req.headers, 'x-slack-signature'),
            timestamp: header(req.headers, 'x-slack-request-timestamp'),
          },
          raw,
          now(),
        );
        if (!check.ok) {
          log(`refused an unsigned or badly signed request to ${path}: ${check.reason}`);
          return send(res, 401, 'text/plain', 'invalid Slack signature');
        }
        const form = new URLSearchParams(raw.toString('utf8'));
        if (path === INTERACTIONS_PATH) onInteraction(form, req.headers, res);
        else onCommand(form, req.headers, res);
      },
      (err: unknown) => {
        log(`could not read a request to ${path}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) send(res, 400, 'text/plain', 'could not read the request');
      },
    );
  });
  // Slack gives up after 3 s anyway; a slow client must not hold a connection for minutes.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;

  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;

  const idle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  return {
    url: `http://${shownHost}:${port}`,
    idle,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await idle();
      await closed;
    },
  };
}

function decisionForCommand(
  command: Extract<ReleaseCommand, { verb: 'approve' | 'reject' | 'resume' | 'abort' | 'cancel' }>,
): Decision {
  switch (command.verb) {
    case 'approve':
      return { kind: 'approve', note: command.note };
    case 'reject':
      return { kind: 'reject', reason: command.reason };
    case 'resume':
      return { kind: 'resume' };
    case 'abort':
      return { kind: 'rollback' };
    case 'cancel':
      return { kind: 'cancel', reason: command.reason };
  }
}

function decisionForButton(action: NotificationAction, identity: string): Decision {
  switch (action) {
    case 'approve':
      return { kind: 'approve', note: null };
    case 'reject':
      // A button has no room for a reason; the slash command takes one (/release reject v1.2.3 <why>).
      return { kind: 'reject', reason: `rejected by ${identity} with the Slack button (no reason given)` };
    case 'resume':
    case 'rollback':
      return { kind: action };
  }
}

function retryNote(headers: IncomingHttpHeaders): string {
  const num = header(headers, 'x-slack-retry-num');
  const why = header(headers, 'x-slack-retry-reason');
  return num === undefined ? '' : ` (Slack retry ${num}${why ? `: ${why}` : ''})`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...extra }).end(body);
}

/** The raw body (the signature covers its exact bytes), or null when it exceeds `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
