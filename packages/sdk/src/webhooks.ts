/**
 * `@resultgate/sdk/webhooks`: verify the result service's status webhooks per Standard Webhooks
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`,
 * secret `whsec_<base64>`. WebCrypto only, so it runs in any runtime.
 */

/**
 * The body of a status webhook (the OpenAPI document's `StatusEvent`): use it as the type
 * argument of {@link verifyWebhook}.
 * @example const { payload } = await verifyWebhook<ResultStatusEvent>(rawBody, headers, secret);
 */
export interface ResultStatusEvent {
  type:
    | 'result.published'
    | 'result.notified'
    | 'result.viewed'
    | 'result.withdrawn'
    | 'result.expired'
    | 'result.failed'
    | (string & {});
  /** ISO 8601 UTC: when the event was queued. */
  timestamp: string;
  data: {
    id: string;
    externalId: string;
    status: string;
    /** ISO 8601 UTC: when the result entered this status. */
    at: string;
    /** For `result.failed`: why. */
    error?: string;
  };
}

/** The body of a `recipient.notify` webhook (tenants that tell recipients through their own system). */
export interface RecipientNotifyEvent {
  type: 'recipient.notify';
  timestamp: string;
  data: {
    resultId: string;
    externalId: string;
    /** Personal data: the person to tell. */
    recipient: { id: string; name?: string; email?: string };
    subject: string;
    /** The ja/en notification text, with the link. */
    text: string;
    /** The recipient page. */
    url: string;
  };
}

/** Why a delivery was refused; `reason` is stable for tests and metrics. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  readonly reason:
    | 'missing_headers'
    | 'bad_timestamp'
    | 'too_old'
    | 'too_new'
    | 'bad_signature'
    | 'bad_secret';
  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Headers as a `Headers`, or a Node-style record (`IncomingMessage.headers`). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** A verified delivery. */
export interface VerifiedWebhook<T = unknown> {
  id: string;
  /** Unix seconds from `webhook-timestamp`. */
  timestamp: number;
  /** The parsed JSON body. */
  payload: T;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyOptions {
  /** Accepted clock difference in seconds, both ways. @default 300 */
  tolerance?: number;
  /** Current time in ms (injectable for tests). @default Date.now() */
  now?: number;
}

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(secret.startsWith('whsec_') ? secret.slice(6) : secret);
  } catch {
    throw new WebhookVerificationError('bad_secret', 'the secret is not whsec_<base64>');
  }
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/**
 * Signs a payload the way the service does: `v1,<base64>`. For tests and for local senders.
 * @example const sig = await signWebhook(secret, 'msg_1', Math.floor(Date.now() / 1000), body);
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/**
 * Verifies a delivery and returns its parsed body. Pass the raw body exactly as received (not
 * re-serialised JSON). Several secrets can be given during a rotation; any one may match.
 * The comparison is `crypto.subtle.verify` (constant-time by construction).
 * @throws {WebhookVerificationError} missing headers, a timestamp outside `tolerance`, no match
 * @example
 * const { payload } = await verifyWebhook(rawBody, req.headers, process.env.WEBHOOK_SECRET!);
 */
export async function verifyWebhook<T = unknown>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook<T>> {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !ts || !signatures) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  }
  if (!/^\d{1,12}$/.test(ts))
    throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not Unix seconds');
  const timestamp = Number(ts);
  const tolerance = options.tolerance ?? 300;
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  // Replay protection: an old signed delivery cannot be replayed outside the window.
  if (timestamp < nowSec - tolerance)
    throw new WebhookVerificationError('too_old', 'webhook-timestamp is too old');
  if (timestamp > nowSec + tolerance)
    throw new WebhookVerificationError('too_new', 'webhook-timestamp is in the future');
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const signed = encoder.encode(`${id}.${timestamp}.${body}`);
  const candidates = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => s.slice(3));
  for (const s of typeof secret === 'string' ? [secret] : secret) {
    const key = await hmacKey(s);
    for (const candidate of candidates) {
      let mac: Uint8Array<ArrayBuffer>;
      try {
        mac = base64ToBytes(candidate);
      } catch {
        continue;
      }
      if (await crypto.subtle.verify('HMAC', key, mac, signed)) {
        return { id, timestamp, payload: JSON.parse(body) as T };
      }
    }
  }
  throw new WebhookVerificationError('bad_signature', 'no webhook-signature matches');
}

/**
 * Drops duplicate deliveries (at-least-once delivery retries) by `webhook-id`; remembers the
 * last `max` ids.
 * @param max how many ids to remember @default 10_000
 * @example const dedupe = createWebhookDeduper(); if (dedupe.isDuplicate(id)) return res.end();
 */
export function createWebhookDeduper(max = 10_000): {
  isDuplicate(id: string): boolean;
  readonly size: number;
} {
  const seen = new Set<string>();
  return {
    isDuplicate(id: string): boolean {
      if (seen.has(id)) return true;
      seen.add(id);
      // A Set iterates in insertion order: the first entry is the oldest.
      if (seen.size > max) seen.delete(seen.values().next().value as string);
      return false;
    },
    get size() {
      return seen.size;
    },
  };
}
