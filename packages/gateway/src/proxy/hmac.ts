/**
 * HMAC-SHA256 (RFC 2104) on one-shot `crypto.hash` calls. The gateway computes one per proxied
 * request (the identity signature); `createHmac` builds a native Hmac object (and, on Node 24, a
 * key object) each time, which costs far more than the hashing. The pads are prepared once per key; the result is the
 * same HMAC `createHmac` gives, so upstreams verify with anything (the tests compare the two).
 */
import { hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;

/**
 * Prepares a key.
 * @param secret the key bytes (longer than the 64-byte block: hashed first, as RFC 2104 says)
 * @returns a function from UTF-8 text to its HMAC-SHA256 in base64url
 * @example const mac = hmacSha256(secret); mac('v1\n1764300000\nt0') // 43 base64url characters
 */
export function hmacSha256(secret: Uint8Array): (text: string) => string {
  const key = secret.length > BLOCK ? Buffer.from(hash('sha256', secret, 'binary'), 'latin1') : secret;
  // inner: ipad ‖ message (grown when a message does not fit); outer: opad ‖ inner digest.
  let inner = Buffer.alloc(BLOCK + 256);
  const outer = Buffer.alloc(BLOCK + DIGEST);
  for (let i = 0; i < BLOCK; i++) {
    const k = key[i] ?? 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  return function hmac(text: string): string {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (BLOCK + text.length * 3 > inner.length) {
      const grown = Buffer.alloc(BLOCK + text.length * 3);
      inner.copy(grown, 0, 0, BLOCK);
      inner = grown;
    }
    const n = inner.write(text, BLOCK, 'utf8');
    outer.write(hash('sha256', inner.subarray(0, BLOCK + n), 'binary'), BLOCK, 'latin1');
    return hash('sha256', outer, 'base64url');
  };
}
