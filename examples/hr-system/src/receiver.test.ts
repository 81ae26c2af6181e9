import { signWebhook } from '@resultgate/sdk/webhooks';
import { describe, expect, it } from 'vitest';
import { type StatusEvent, startReceiver } from './receiver.js';

const secret = `whsec_${Buffer.from('hr-demo-webhook-secret-0123456789').toString('base64')}`;

async function deliver(url: string, id: string, body: string, key = secret) {
  const ts = Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': await signWebhook(key, id, ts, body),
    },
    body,
  });
}

describe('hr-system webhook receiver', () => {
  it('accepts a signed delivery once, rejects a forged one', async () => {
    const events: StatusEvent[] = [];
    const rejected: string[] = [];
    const rx = await startReceiver({
      secret,
      onEvent: (e) => events.push(e),
      onRejected: (r) => rejected.push(r),
    });
    try {
      const body = JSON.stringify({
        type: 'result.viewed',
        timestamp: '2026-11-28T05:00:00.000Z',
        data: { id: 'r_1', externalId: 'sel-0001', status: 'viewed', at: '2026-11-28T05:00:00.000Z' },
      });
      expect((await deliver(rx.url, 'msg_1', body)).status).toBe(204);
      expect((await deliver(rx.url, 'msg_1', body)).status).toBe(204);
      const forger = `whsec_${Buffer.from('someone-else-entirely-0123456789').toString('base64')}`;
      expect((await deliver(rx.url, 'msg_2', body, forger)).status).toBe(400);
      expect(events.map((e) => e.data.externalId)).toEqual(['sel-0001']);
      expect(rejected).toEqual(['bad_signature']);
    } finally {
      await rx.close();
    }
  });
});
