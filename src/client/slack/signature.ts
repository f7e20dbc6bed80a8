// Verifying that a request really comes from Slack (api.slack.com/authentication/verifying-requests-
// from-slack): x-slack-signature is v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" +
// raw body)). The timestamp bounds replays: a captured request is refused 5 minutes later.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(
  signingSecret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs: number,
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (signature === undefined || timestamp === undefined)
    return { ok: false, reason: 'missing x-slack-signature or x-slack-request-timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'x-slack-request-timestamp is not a Unix time' };
  const ageSeconds = nowMs / 1000 - Number(timestamp);
  // Slack's own check refuses only old timestamps; far-future ones are refused too, since a clock
  // that far apart means something is wrong and the replay window would otherwise stretch.
  if (Math.abs(ageSeconds) > MAX_REQUEST_AGE_SECONDS) {
    return {
      ok: false,
      reason: `the request timestamp is ${Math.round(Math.abs(ageSeconds))} s ${ageSeconds > 0 ? 'old' : 'in the future'} (allowed: ${MAX_REQUEST_AGE_SECONDS} s; check this host's clock)`,
    };
  }
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) return { ok: false, reason: 'x-slack-signature is not a v0 signature' };

  const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  // Constant-time: comparing byte by byte until the first difference would leak the signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'the signature does not match (wrong signing secret, or the body was altered)' };
  return { ok: true };
}
