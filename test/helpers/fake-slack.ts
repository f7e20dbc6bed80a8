// A local stand-in for Slack (there is no official emulator): the Web API methods the notifier
// uses, and the response_url endpoints the gateway answers through. It records every call and
// refuses what Slack would refuse, so a test passing here means the payload's shape is right:
// - chat.postMessage / chat.update need `Authorization: Bearer xoxb-…`, a channel, and text or
//   blocks; blocks are checked structurally (types, text objects and lengths, buttons' action_id
//   and value, unique IDs, at most 50 blocks) and refused with Slack's `invalid_blocks` and its
//   style of messages; a thread_ts must name a message posted before;
// - it can answer 429 with Retry-After N times, as Slack's rate limiter does;
// - POST /response/<id> is a response_url: JSON with text or blocks, recorded per id.
// Also: signSlackRequest(), which signs a request the way Slack does, for the gateway tests.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  headers: IncomingHttpHeaders;
  /** The parsed request body (JSON, or form fields with `blocks` decoded). */
  body: Record<string, unknown>;
  httpStatus: number;
  answer: Record<string, unknown>;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string | null;
  blocks: unknown[] | null;
}

export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
}

export interface FakeSlack {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What to configure as the Web API base: <url>/api/ */
  apiBaseUrl: string;
  /** Every Web API request, refused ones included, in arrival order. */
  calls: RecordedCall[];
  /** Messages accepted by chat.postMessage (chat.update edits them in place). */
  messages: PostedMessage[];
  /** Accepted response_url posts, in arrival order. */
  responses: ResponsePost[];
  /** response_url posts refused as malformed, with why. */
  invalidResponses: Array<ResponsePost & { problems: string[] }>;
  /** The next `times` calls of `method` answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(method: string, times: number, retryAfterSeconds?: number): void;
  /** A response_url served by this fake. */
  responseUrl(id: string): string;
  /** Resolves once `count` posts reached response_url `id` (or rejects after timeoutMs). */
  waitForResponses(id: string, count: number, timeoutMs?: number): Promise<ResponsePost[]>;
  stop(): Promise<void>;
}

export interface FakeSlackOptions {
  /** When set, only this bot token is accepted (others get invalid_auth). */
  token?: string;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const messages: PostedMessage[] = [];
  const responses: ResponsePost[] = [];
  const invalidResponses: FakeSlack['invalidResponses'] = [];
  const limits = new Map<string, { remaining: number; retryAfter: number }>();
  const waiters = new Set<() => void>();
  let seq = 0;

  const nextTs = (): string => {
    seq += 1;
    return `${1_760_000_000 + seq}.${String(seq).padStart(6, '0')}`;
  };

  const server = createServer((req, res) => {
    void readBody(req).then(
      (raw) => {
        const path = new URL(req.url ?? '/', 'http://fake').pathname;
        if (req.method === 'POST' && path.startsWith('/api/')) {
          apiCall(path.slice('/api/'.length), req, raw, res);
        } else if (req.method === 'POST' && path.startsWith('/response/')) {
          responseUrlCall(decodeURIComponent(path.slice('/response/'.length)), raw, res);
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        }
      },
      () => res.writeHead(400).end(),
    );
  });

  function answer(
    res: ServerResponse,
    call: RecordedCall,
    httpStatus: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    call.httpStatus = httpStatus;
    call.answer = body;
    res
      .writeHead(httpStatus, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  }

  function apiCall(method: string, req: IncomingMessage, raw: string, res: ServerResponse): void {
    const body = parseApiBody(req.headers['content-type'] ?? '', raw);
    const call: RecordedCall = { method, headers: req.headers, body: body ?? {}, httpStatus: 0, answer: {} };
    calls.push(call);

    const limit = limits.get(method);
    if (limit && limit.remaining > 0) {
      limit.remaining -= 1;
      answer(res, call, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfter) });
      return;
    }
    const auth = req.headers.authorization;
    if (auth === undefined) return answer(res, call, 200, { ok: false, error: 'not_authed' });
    const token = /^Bearer (\S+)$/.exec(auth)?.[1];
    if (token === undefined) return answer(res, call, 200, { ok: false, error: 'invalid_auth' });
    if (!token.startsWith('xoxb-')) return answer(res, call, 200, { ok: false, error: 'not_allowed_token_type' });
    if (options.token !== undefined && token !== options.token)
      return answer(res, call, 200, { ok: false, error: 'invalid_auth' });
    if (body === null) return answer(res, call, 200, { ok: false, error: 'invalid_json' });

    if (method !== 'chat.postMessage' && method !== 'chat.update')
      return answer(res, call, 200, { ok: false, error: 'unknown_method' });

    const channel = body.channel;
    if (typeof channel !== 'string' || channel === '')
      return answer(res, call, 200, { ok: false, error: 'channel_not_found' });
    const text = typeof body.text === 'string' && body.text !== '' ? body.text : null;
    if (body.text !== undefined && typeof body.text !== 'string')
      return answer(res, call, 200, { ok: false, error: 'invalid_arguments' });
    if (text !== null && text.length > 40_000) return answer(res, call, 200, { ok: false, error: 'msg_too_long' });
    let blocks: unknown[] | null = null;
    if (body.blocks !== undefined) {
      const problems = validateBlocks(body.blocks);
      if (problems.length > 0)
        return answer(res, call, 200, {
          ok: false,
          error: 'invalid_blocks',
          response_metadata: { messages: problems },
        });
      blocks = body.blocks as unknown[];
    }
    if (text === null && (blocks === null || blocks.length === 0))
      return answer(res, call, 200, { ok: false, error: 'no_text' });

    if (method === 'chat.postMessage') {
      let threadTs: string | null = null;
      if (body.thread_ts !== undefined) {
        if (
          typeof body.thread_ts !== 'string' ||
          !messages.some((m) => m.channel === channel && m.ts === body.thread_ts)
        ) {
          return answer(res, call, 200, { ok: false, error: 'invalid_thread_ts' });
        }
        threadTs = body.thread_ts;
      }
      const ts = nextTs();
      messages.push({ channel, ts, threadTs, text, blocks });
      return answer(res, call, 200, { ok: true, channel, ts, message: { type: 'message', text: text ?? '', ts } });
    }
    const existing = messages.find((m) => m.channel === channel && m.ts === body.ts);
    if (!existing) return answer(res, call, 200, { ok: false, error: 'message_not_found' });
    existing.text = text;
    existing.blocks = blocks;
    return answer(res, call, 200, { ok: true, channel, ts: existing.ts, text: text ?? '' });
  }

  function responseUrlCall(id: string, raw: string, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      invalidResponses.push({ id, body: { raw }, problems: ['body is not JSON'] });
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      return;
    }
    const problems = validateResponsePayload(body);
    if (problems.length > 0) {
      invalidResponses.push({ id, body: isRecord(body) ? body : { body }, problems });
      res.writeHead(400, { 'content-type': 'text/plain' }).end(problems[0]);
    } else {
      responses.push({ id, body: body as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
    for (const wake of waiters) wake();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    apiBaseUrl: `${url}/api/`,
    calls,
    messages,
    responses,
    invalidResponses,
    rateLimit(method, times, retryAfterSeconds = 1) {
      limits.set(method, { remaining: times, retryAfter: retryAfterSeconds });
    },
    responseUrl: (id) => `${url}/response/${encodeURIComponent(id)}`,
    waitForResponses(id, count, timeoutMs = 10_000) {
      const matching = () => responses.filter((r) => r.id === id);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (matching().length < count) return;
          cleanup();
          resolve(matching());
        };
        const timer = setTimeout(() => {
          cleanup();
          const invalid = invalidResponses.filter((r) => r.id === id).map((r) => r.problems.join('; '));
          reject(
            new Error(
              `response_url ${id} got ${matching().length} of ${count} posts within ${timeoutMs} ms${invalid.length ? `; refused as malformed: ${invalid.join(' | ')}` : ''}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The headers Slack sends with a request: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)). */
export function signSlackRequest(
  secret: string,
  body: string,
  ts: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${signature}`, 'x-slack-request-timestamp': String(ts) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Slack takes JSON or form bodies; in a form, `blocks` is a JSON string. */
function parseApiBody(contentType: string, raw: string): Record<string, unknown> | null {
  try {
    if (contentType.startsWith('application/json')) {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : null;
    }
    const form: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form.blocks === 'string') form.blocks = JSON.parse(form.blocks) as unknown;
    return form;
  } catch {
    return null;
  }
}

function validateResponsePayload(body: unknown): string[] {
  if (!isRecord(body)) return ['the payload must be a JSON object'];
  const problems: string[] = [];
  if (body.response_type !== undefined && body.response_type !== 'ephemeral' && body.response_type !== 'in_channel') {
    problems.push(`response_type must be ephemeral or in_channel, not ${JSON.stringify(body.response_type)}`);
  }
  for (const flag of ['replace_original', 'delete_original']) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') problems.push(`${flag} must be a boolean`);
  }
  if (body.delete_original === true) return problems;
  const hasText = typeof body.text === 'string' && body.text.trim() !== '';
  if (body.blocks !== undefined) problems.push(...validateBlocks(body.blocks));
  if (!hasText && !(Array.isArray(body.blocks) && body.blocks.length > 0))
    problems.push('no_text: a response needs text or blocks');
  return problems;
}

// ---- Block Kit, structurally (https://api.slack.com/reference/block-kit) ----

interface Ids {
  blockIds: Set<string>;
  actionIds: Set<string>;
}

export function validateBlocks(blocks: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['[ERROR] must be an array [json-pointer:/blocks]'];
  if (blocks.length > 50)
    problems.push(`[ERROR] no more than 50 items allowed [json-pointer:/blocks] (got ${blocks.length})`);
  const ids: Ids = { blockIds: new Set(), actionIds: new Set() };
  blocks.forEach((block, i) => validateBlock(block, `/blocks/${i}`, ids, problems));
  return problems;
}

function validateBlock(block: unknown, at: string, ids: Ids, problems: string[]): void {
  const err = (what: string, where = at): void => void problems.push(`[ERROR] ${what} [json-pointer:${where}]`);
  if (!isRecord(block)) return err('must be an object');
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string' || block.block_id.length === 0 || block.block_id.length > 255)
      err('block_id must be 1 to 255 characters', `${at}/block_id`);
    else if (ids.blockIds.has(block.block_id)) err(`duplicate block_id ${block.block_id}`, `${at}/block_id`);
    else ids.blockIds.add(block.block_id);
  }
  switch (block.type) {
    case 'header':
      validateText(block.text, `${at}/text`, 150, problems, 'plain_text');
      return;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) return err('must provide either text or fields');
      if (block.text !== undefined) validateText(block.text, `${at}/text`, 3000, problems);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0)
          return err('fields must be a non-empty array', `${at}/fields`);
        if (block.fields.length > 10) err('no more than 10 items allowed', `${at}/fields`);
        block.fields.forEach((f, i) => validateText(f, `${at}/fields/${i}`, 2000, problems));
      }
      if (block.accessory !== undefined) validateElement(block.accessory, `${at}/accessory`, ids, problems);
      return;
    }
    case 'context': {
      if (!Array.isArray(block.elements) || block.elements.length === 0)
        return err('elements must be a non-empty array', `${at}/elements`);
      if (block.elements.length > 10) err('no more than 10 items allowed', `${at}/elements`);
      block.elements.forEach((e, i) => {
        if (isRecord(e) && e.type === 'image') return;
        validateText(e, `${at}/elements/${i}`, 3000, problems);
      });
      return;
    }
    case 'actions': {
      if (!Array.isArray(block.elements) || block.elements.length === 0)
        return err('elements must be a non-empty array', `${at}/elements`);
      if (block.elements.length > 25) err('no more than 25 items allowed', `${at}/elements`);
      block.elements.forEach((e, i) => validateElement(e, `${at}/elements/${i}`, ids, problems));
      return;
    }
    case 'divider':
      return;
    case 'image':
      if (typeof block.image_url !== 'string' || typeof block.alt_text !== 'string')
        err('image needs image_url and alt_text');
      return;
    case 'rich_text':
      if (!Array.isArray(block.elements)) err('elements must be an array', `${at}/elements`);
      return;
    default:
      return err(`unsupported block type ${JSON.stringify(block.type)}`, `${at}/type`);
  }
}

function validateElement(element: unknown, at: string, ids: Ids, problems: string[]): void {
  const err = (what: string, where = at): void => void problems.push(`[ERROR] ${what} [json-pointer:${where}]`);
  if (!isRecord(element)) return err('must be an object');
  if (element.type !== 'button') {
    if (typeof element.type !== 'string') err('element needs a type', `${at}/type`);
    return;
  }
  validateText(element.text, `${at}/text`, 75, problems, 'plain_text');
  if (typeof element.action_id !== 'string' || element.action_id.length === 0 || element.action_id.length > 255) {
    err('a button needs an action_id of 1 to 255 characters', `${at}/action_id`);
  } else if (ids.actionIds.has(element.action_id)) {
    err(`duplicate action_id ${element.action_id}`, `${at}/action_id`);
  } else {
    ids.actionIds.add(element.action_id);
  }
  if (element.url !== undefined) {
    if (typeof element.url !== 'string' || element.url.length > 3000 || !/^https?:\/\//.test(element.url))
      err('url must be an http(s) URL of at most 3000 characters', `${at}/url`);
  } else if (typeof element.value !== 'string' || element.value.length === 0) {
    // Slack allows a valueless button, but a decision button without one tells the gateway nothing.
    err('a button without a url needs a value (what the click is about)', `${at}/value`);
  }
  if (element.value !== undefined && (typeof element.value !== 'string' || element.value.length > 2000))
    err('value must be at most 2000 characters', `${at}/value`);
  if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger')
    err('style must be primary or danger', `${at}/style`);
  if (element.confirm !== undefined) {
    const c = element.confirm;
    if (!isRecord(c)) return err('confirm must be an object', `${at}/confirm`);
    validateText(c.title, `${at}/confirm/title`, 100, problems, 'plain_text');
    validateText(c.text, `${at}/confirm/text`, 300, problems);
    validateText(c.confirm, `${at}/confirm/confirm`, 30, problems, 'plain_text');
    validateText(c.deny, `${at}/confirm/deny`, 30, problems, 'plain_text');
  }
}

function validateText(text: unknown, at: string, max: number, problems: string[], only?: 'plain_text'): void {
  const err = (what: string, where = at): void => void problems.push(`[ERROR] ${what} [json-pointer:${where}]`);
  if (!isRecord(text)) return err('must be a text object');
  if (text.type !== 'plain_text' && text.type !== 'mrkdwn')
    return err('type must be plain_text or mrkdwn', `${at}/type`);
  if (only !== undefined && text.type !== only) return err(`must be ${only}`, `${at}/type`);
  if (typeof text.text !== 'string' || text.text.length === 0)
    return err('must be more than 0 characters', `${at}/text`);
  if (text.text.length > max) err(`must be less than ${max + 1} characters`, `${at}/text`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The form body Slack posts for a `/release <text>` typed by `user` (application/x-www-form-urlencoded). */
export function slashCommandBody(o: {
  user: string;
  text: string;
  responseUrl: string;
  triggerId: string;
  channel?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    channel_id: o.channel ?? 'C0RELEASES',
    user_id: o.user,
    user_name: o.user.toLowerCase(),
    command: '/release',
    text: o.text,
    api_app_id: 'A0APP',
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  }).toString();
}
