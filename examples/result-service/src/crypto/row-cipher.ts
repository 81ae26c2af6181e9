/**
 * Sealing of personal fields with the tenant's key (AES-256-GCM), and keyed hashes for the fields
 * looked up by equality. A sealed value is `0x01 | key id (8 bytes) | IV (12) | tag (16) | data`;
 * the additional data binds it to its tenant, row and field, so a value copied into another row or
 * column fails to open instead of showing someone else's data.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Keyring, TenantKeys } from './keyring.js';

const VERSION = 1;
const HEADER = 1 + 8;

/** Why a sealed value could not be opened. */
export class SealedDataError extends Error {
  readonly code: 'key_destroyed' | 'key_missing' | 'corrupt';
  constructor(code: SealedDataError['code'], message: string) {
    super(message);
    this.name = 'SealedDataError';
    this.code = code;
  }
}

/** Seals and opens a tenant's personal fields; makes its lookup hashes. */
export class RowCipher {
  readonly keyring: Keyring;

  constructor(keyring: Keyring) {
    this.keyring = keyring;
  }

  /** The tenant's key id (creating the tenant's key on first use). */
  keyId(tenant: string): string {
    return this.keyring.keys(tenant, true).keyId;
  }

  /**
   * Seals `plain` for a tenant.
   * @param context what the value is bound to, e.g. `${rowId}\nrow`
   */
  seal(tenant: string, context: string, plain: string): Buffer {
    const keys = this.keyring.keys(tenant, true);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keys.data, iv).setAAD(aad(tenant, context));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const header = Buffer.alloc(HEADER);
    header[0] = VERSION;
    header.write(keys.keyId, 1, 'hex');
    return Buffer.concat([header, iv, cipher.getAuthTag(), ct]);
  }

  /** @throws SealedDataError when the key is gone (a purged tenant) or the value was altered */
  open(tenant: string, context: string, sealed: Uint8Array): string {
    const raw = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (raw.length < HEADER + 28 || raw[0] !== VERSION)
      throw new SealedDataError('corrupt', 'not a sealed value');
    const keyId = raw.subarray(1, HEADER).toString('hex');
    const keys = this.#keysFor(tenant, keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.data, raw.subarray(HEADER, HEADER + 12));
      decipher.setAAD(aad(tenant, context)).setAuthTag(raw.subarray(HEADER + 12, HEADER + 28));
      return Buffer.concat([decipher.update(raw.subarray(HEADER + 28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedDataError('corrupt', `a sealed value of tenant ${tenant} does not authenticate`);
    }
  }

  /** Seals to base64url text (for TEXT columns), or null. */
  sealText(tenant: string, context: string, plain: string | null): string | null {
    return plain === null ? null : this.seal(tenant, context, plain).toString('base64url');
  }

  /** Opens what {@link sealText} made, or null. */
  openText(tenant: string, context: string, sealed: string | null): string | null {
    return sealed === null ? null : this.open(tenant, context, Buffer.from(sealed, 'base64url'));
  }

  /**
   * The keyed hash (HMAC-SHA256 with the tenant's lookup key) stored in place of a value that is
   * looked up by equality. Without the tenant key a hash reveals nothing, not even across tenants.
   * @param kind what the value is (`external_id`, `access_code`), so equal values of two kinds differ
   * @param create make the tenant's key when it has none (writes); a lookup without one finds nothing
   * @returns the hash, or undefined when the tenant has no key (so it has no rows)
   */
  lookupHash(tenant: string, kind: string, value: string, create = false): string | undefined {
    const keys = this.keyring.keys(tenant, create);
    if (!keys) return undefined;
    return createHmac('sha256', keys.lookup).update(`${kind}\n${value}`).digest('base64url');
  }

  #keysFor(tenant: string, keyId: string): TenantKeys {
    const keys = this.keyring.keys(tenant);
    if (keys?.keyId === keyId) return keys;
    if (this.keyring.destroyed().some((d) => d.keyId === keyId)) {
      throw new SealedDataError('key_destroyed', `the key of tenant ${tenant} was destroyed (purged)`);
    }
    throw new SealedDataError('key_missing', `no key ${keyId} for tenant ${tenant} in the keyring`);
  }
}

function aad(tenant: string, context: string): Buffer {
  return Buffer.from(`${tenant}\n${context}`);
}
