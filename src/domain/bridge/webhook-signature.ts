import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a signed webhook was refused; each is a stable error code (docs/bridge.md). */
export type SignatureProblem = 'MISSING_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem; message: string };

const VERSION = 'v1=';

/** `v1=` and the lowercase hex HMAC-SHA256 of `timestamp.body`: what a side signs each attempt with. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return VERSION + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * Checks a webhook's signature and timestamp. The timestamp is inside the signature, so a captured
 * event cannot be re-dated, and one outside `windowMs` of `now` (either way: clocks drift) is stale.
 * The digests are compared in constant time.
 */
export function checkWebhookSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  now: number;
  windowMs: number;
}): SignatureCheck {
  const { secret, timestamp, signature, body, now, windowMs } = input;
  if (!timestamp || !signature) {
    return { ok: false, problem: 'MISSING_SIGNATURE', message: 'send the x-im-timestamp and x-im-signature headers (see docs/bridge.md)' };
  }
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, problem: 'BAD_SIGNATURE', message: 'the signature does not match the body: check the side\'s webhook secret against bridge.<side>.secret' };
  }
  const at = Number(timestamp);
  if (!Number.isSafeInteger(at) || Math.abs(now - at) > windowMs) {
    return { ok: false, problem: 'STALE_TIMESTAMP', message: `the event was signed at ${timestamp}, more than ${windowMs} ms from now (bridge.replayWindow): sign each attempt anew, and check the sender's clock` };
  }
  return { ok: true };
}
