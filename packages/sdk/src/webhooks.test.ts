import { describe, expect, it } from 'vitest';
import {
  createWebhookDeduper,
  signWebhook,
  verifyWebhook,
  type WebhookVerificationError,
} from './webhooks.js';

const secret = `whsec_${btoa('0123456789abcdef0123456789abcdef')}`;
const now = Date.parse('2026-11-28T05:00:00Z');
const ts = Math.floor(now / 1000);
const body = JSON.stringify({ type: 'result.status', data: { id: 'r_1', status: 'viewed' } });

async function headers(over: Record<string, string> = {}) {
  return {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(ts),
    'webhook-signature': await signWebhook(secret, 'msg_1', ts, body),
    ...over,
  };
}

const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'verified',
    (e: WebhookVerificationError) => e.reason,
  );

describe('verifyWebhook', () => {
  it('verifies a delivery signed per Standard Webhooks and returns the payload', async () => {
    const got = await verifyWebhook(body, new Headers(await headers()), secret, { now });
    expect(got).toEqual({ id: 'msg_1', timestamp: ts, payload: JSON.parse(body) });
  });

  it('matches the Standard Webhooks reference signature', async () => {
    // Test vector from the Standard Webhooks spec repository.
    const ref = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = await signWebhook(ref, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('accepts any of several signatures and secrets (rotation)', async () => {
    const h = await headers();
    h['webhook-signature'] = `v1,AAAA ${h['webhook-signature']}`;
    const other = `whsec_${btoa('another-secret-another-secret!!')}`;
    await expect(verifyWebhook(body, h, [other, secret], { now })).resolves.toMatchObject({ id: 'msg_1' });
  });

  it('rejects a forged or tampered delivery', async () => {
    const forger = `whsec_${btoa('not-the-secret-not-the-secret!!!')}`;
    const forged = await signWebhook(forger, 'msg_1', ts, body);
    expect(
      await reason(verifyWebhook(body, await headers({ 'webhook-signature': forged }), secret, { now })),
    ).toBe('bad_signature');
    const tampered = body.replace('viewed', 'published');
    expect(await reason(verifyWebhook(tampered, await headers(), secret, { now }))).toBe('bad_signature');
    expect(await reason(verifyWebhook(body, await headers({ 'webhook-id': 'msg_2' }), secret, { now }))).toBe(
      'bad_signature',
    );
  });

  it('rejects replays outside the tolerance and missing headers', async () => {
    const h = await headers();
    expect(await reason(verifyWebhook(body, h, secret, { now: now + 301_000 }))).toBe('too_old');
    expect(await reason(verifyWebhook(body, h, secret, { now: now - 301_000 }))).toBe('too_new');
    expect(await reason(verifyWebhook(body, h, secret, { now: now + 600_000, tolerance: 900 }))).toBe(
      'verified',
    );
    expect(await reason(verifyWebhook(body, { 'webhook-id': 'x' }, secret, { now }))).toBe('missing_headers');
    expect(
      await reason(verifyWebhook(body, await headers({ 'webhook-timestamp': '1e9' }), secret, { now })),
    ).toBe('bad_timestamp');
  });

  it('verifies a Uint8Array body as well', async () => {
    await expect(
      verifyWebhook(new TextEncoder().encode(body), await headers(), secret, { now }),
    ).resolves.toBeDefined();
  });
});

describe('createWebhookDeduper', () => {
  it('drops a second delivery of the same webhook-id and forgets the oldest past max', () => {
    const dedupe = createWebhookDeduper(2);
    expect(dedupe.isDuplicate('a')).toBe(false);
    expect(dedupe.isDuplicate('a')).toBe(true);
    dedupe.isDuplicate('b');
    dedupe.isDuplicate('c');
    expect(dedupe.size).toBe(2);
    expect(dedupe.isDuplicate('a')).toBe(false);
  });
});
