/**
 * The keyring: one random AES-256 key per tenant, each wrapped (AES-256-GCM) by the master key and
 * kept in a small JSON file beside — never inside — the database. Backups copy the database only,
 * so destroying a tenant's entry here makes its rows in every existing backup unreadable at once
 * (crypto-shredding). Rotating the master key re-wraps the tenant keys; no row is re-encrypted.
 *
 * Unwrapped keys are cached in memory: the recipient page costs a Map lookup, not key derivation.
 * The file is read-modify-written under a lock file, so the service and the CLI can share it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { masterKeyId } from './master-key.js';

/** The keys of one tenant, derived from its tenant key. */
export interface TenantKeys {
  tenant: string;
  /** 16 hex digits, written into every sealed value so a value names the key it needs. */
  keyId: string;
  /** AES-256-GCM key of the tenant's sealed values. */
  data: KeyObject;
  /** HMAC key of the tenant's equality lookups (external id, access code). */
  lookup: KeyObject;
}

/** A destroyed tenant key: what remains of a purged tenant. */
export interface DestroyedKey {
  tenant: string;
  keyId: string;
  destroyedAt: string;
}

interface KeyringFile {
  version: 1;
  masterKeyId: string;
  rotatedAt: string | null;
  tenants: Record<string, { keyId: string; wrapped: string; createdAt: string }>;
  destroyed: DestroyedKey[];
}

/** Options of {@link Keyring}. */
export interface KeyringOptions {
  /** The keyring file; omitted, the keyring lives in memory only (tests, `:memory:` databases). */
  file?: string | undefined;
  /** Returns the current master key; called again when the file was re-wrapped by a rotation. */
  masterKey: () => Buffer;
  now?: () => number;
}

const wrapAad = (tenant: string, keyId: string) => Buffer.from(`resultgate tenant key\n${tenant}\n${keyId}`);

function wrap(master: Buffer, tenant: string, keyId: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(wrapAad(tenant, keyId));
  const ct = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
}

function unwrap(master: Buffer, tenant: string, keyId: string, wrapped: string): Buffer {
  const raw = Buffer.from(wrapped, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12)).setAAD(
    wrapAad(tenant, keyId),
  );
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

function derive(tenant: string, keyId: string, key: Buffer): TenantKeys {
  // KeyObjects, not Buffers: Node copies a Buffer key into a new native key on every
  // createHmac/createCipheriv call; a KeyObject is made once (3-5x faster per call here).
  const hkdf = (info: string) => createSecretKey(Buffer.from(hkdfSync('sha256', key, keyId, info, 32)));
  return { tenant, keyId, data: hkdf('data'), lookup: hkdf('lookup') };
}

/** When a file was last modified (ms), or now when it is gone. */
function lockAge(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** Waits without spinning (the lock is held for a file write, a few milliseconds). */
function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Tenant keys, wrapped by the master key, cached unwrapped. */
export class Keyring {
  readonly file: string | undefined;
  readonly #masterKey: () => Buffer;
  readonly #now: () => number;
  #master: Buffer;
  #doc: KeyringFile;
  readonly #cache = new Map<string, TenantKeys>();
  #unwraps = 0;

  /** How many times a tenant key was unwrapped (and its keys derived) — once per tenant, not per request. */
  get unwraps(): number {
    return this.#unwraps;
  }

  /** @throws Error when the file was wrapped by another master key */
  constructor(options: KeyringOptions) {
    this.file = options.file;
    this.#masterKey = options.masterKey;
    this.#now = options.now ?? Date.now;
    this.#master = this.#masterKey();
    this.#doc = this.#read();
  }

  /** Whether a tenant has a live key. */
  has(tenant: string): boolean {
    return tenant in this.#doc.tenants;
  }

  /** Tenants with a live key. */
  tenants(): string[] {
    return Object.keys(this.#doc.tenants).sort();
  }

  /** Keys destroyed by purges, oldest first. */
  destroyed(): DestroyedKey[] {
    return [...this.#doc.destroyed];
  }

  /** The master key's fingerprint and when it was last rotated. */
  info(): { masterKeyId: string; rotatedAt: string | null; tenants: number; destroyed: number } {
    return {
      masterKeyId: this.#doc.masterKeyId,
      rotatedAt: this.#doc.rotatedAt,
      tenants: Object.keys(this.#doc.tenants).length,
      destroyed: this.#doc.destroyed.length,
    };
  }

  /**
   * A tenant's keys (from the cache; else unwrapped once; else created and saved when `create`).
   * @returns undefined when the tenant has no key and `create` is false
   */
  keys(tenant: string, create: true): TenantKeys;
  keys(tenant: string, create?: boolean): TenantKeys | undefined;
  keys(tenant: string, create = false): TenantKeys | undefined {
    const cached = this.#cache.get(tenant);
    if (cached) return cached;
    let entry = this.#doc.tenants[tenant];
    if (!entry && create) {
      this.#update((doc) => {
        if (!doc.tenants[tenant]) {
          const keyId = randomBytes(8).toString('hex');
          doc.tenants[tenant] = {
            keyId,
            wrapped: wrap(this.#master, tenant, keyId, randomBytes(32)),
            createdAt: new Date(this.#now()).toISOString(),
          };
        }
      });
      entry = this.#doc.tenants[tenant];
    }
    if (!entry) return undefined;
    this.#unwraps++;
    const keys = derive(tenant, entry.keyId, unwrap(this.#master, tenant, entry.keyId, entry.wrapped));
    this.#cache.set(tenant, keys);
    return keys;
  }

  /**
   * Destroys a tenant's key (crypto-shredding): its entry leaves the file, a tombstone stays.
   * @returns the tombstone, or undefined when the tenant had no key
   */
  destroy(tenant: string): DestroyedKey | undefined {
    let tombstone: DestroyedKey | undefined;
    this.#update((doc) => {
      const entry = doc.tenants[tenant];
      if (!entry) return;
      delete doc.tenants[tenant];
      tombstone = { tenant, keyId: entry.keyId, destroyedAt: new Date(this.#now()).toISOString() };
      doc.destroyed.push(tombstone);
    });
    this.#cache.delete(tenant);
    return tombstone;
  }

  /**
   * Re-wraps every tenant key with a new master key; rows are not touched. The caller stores the
   * new master key where `masterKey()` will find it (the CLI writes the file first).
   * @returns how many tenant keys were re-wrapped
   */
  rotateMaster(next: Buffer): number {
    let n = 0;
    this.#update((doc) => {
      for (const [tenant, entry] of Object.entries(doc.tenants)) {
        const key = unwrap(this.#master, tenant, entry.keyId, entry.wrapped);
        entry.wrapped = wrap(next, tenant, entry.keyId, key);
        n++;
      }
      doc.masterKeyId = masterKeyId(next);
      doc.rotatedAt = new Date(this.#now()).toISOString();
    });
    this.#master = next;
    return n;
  }

  /** Re-reads the file (another process purged or rotated); forgets keys no longer in it. */
  reload(): void {
    this.#doc = this.#read();
    for (const [tenant, keys] of this.#cache) {
      if (this.#doc.tenants[tenant]?.keyId !== keys.keyId) this.#cache.delete(tenant);
    }
  }

  #read(): KeyringFile {
    const empty = (): KeyringFile => ({
      version: 1,
      masterKeyId: masterKeyId(this.#master),
      rotatedAt: null,
      tenants: {},
      destroyed: [],
    });
    if (!this.file || !existsSync(this.file)) return this.file ? empty() : (this.#doc ?? empty());
    const doc = JSON.parse(readFileSync(this.file, 'utf8')) as KeyringFile;
    if (doc.masterKeyId !== masterKeyId(this.#master)) {
      // Rotated by another process: the master key source has the new key by now.
      this.#master = this.#masterKey();
      if (doc.masterKeyId !== masterKeyId(this.#master)) {
        throw new Error(
          `${this.file}: wrapped by master key ${doc.masterKeyId}, but the configured master key is ${masterKeyId(this.#master)}`,
        );
      }
    }
    return doc;
  }

  /** Read-modify-write of the file under a lock (temp file + rename, mode 0600). */
  #update(change: (doc: KeyringFile) => void): void {
    if (!this.file) {
      change(this.#doc);
      return;
    }
    mkdirSync(dirname(this.file), { recursive: true });
    const lock = `${this.file}.lock`;
    let fd: number | undefined;
    for (let i = 0; fd === undefined; i++) {
      try {
        fd = openSync(lock, 'wx', 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A writer holds it for milliseconds; one that is older was left by a crash.
        if (i > 200 || Date.now() - lockAge(lock) > 10_000) rmSync(lock, { force: true });
        else sleepSync(10);
      }
    }
    try {
      const doc = this.#read();
      change(doc);
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
      this.#doc = doc;
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
}
