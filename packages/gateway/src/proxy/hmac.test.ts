import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from './hmac.js';
import { signIdentity } from './identity.js';

describe('hmacSha256', () => {
  it('is exactly the HMAC createHmac computes, for any key length and UTF-8 text', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 150 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 400 }), { maxLength: 4 }),
        (key, texts) => {
          const mac = hmacSha256(key);
          for (const text of texts) {
            expect(mac(text)).toBe(createHmac('sha256', key).update(text).digest('base64url'));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('signs identities an upstream can check with createHmac alone', () => {
    const secret = Buffer.from('a deployment secret of some length');
    const t = 1_764_300_000;
    const sig = signIdentity(
      secret,
      { tenant: 't', user: '山田', roles: ['a', 'b'], requestId: 'r' },
      { method: 'POST', target: '/api/x?y=%2F' },
      t * 1000,
    );
    const expected = createHmac('sha256', secret)
      .update(`v2\n${t}\nPOST\n/api/x?y=%2F\nt\n山田\na,b\nr`)
      .digest('base64url');
    expect(sig).toBe(`t=${t},v2=${expected}`);
  });
});
