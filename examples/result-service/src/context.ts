/** Builds the service context from options: database, stores, keys, mailer, webhook queue. */
import { randomBytes } from 'node:crypto';
import { Keyring } from './crypto/keyring.js';
import { loadMasterKey } from './crypto/master-key.js';
import { RowCipher } from './crypto/row-cipher.js';
import { openDatabase } from './db.js';
import { IdempotencyStore } from './idempotency.js';
import { fileOutbox, smtpMailer } from './notify/mailer.js';
import { WEBHOOK_RETRY_MS, WebhookOutbox } from './notify/webhooks.js';
import { dataPaths } from './paths.js';
import { iso } from './resource.js';
import { deriveKeys } from './secrets.js';
import { ResultStore } from './store.js';
import { profileOf, validateProfiles } from './tenants.js';
import type { ResultAppOptions, ServiceContext } from './types.js';

/** Default waits before each notification retry: 1 min, 5 min, 15 min, 1 h (then `failed`). */
export const NOTIFY_RETRY_MS = [60_000, 300_000, 900_000, 3_600_000];

/**
 * Opens the database (running migrations) and wires the stores together.
 * @throws Error when `identitySecret` is missing or empty
 */
export function createContext(options: ResultAppOptions): ServiceContext {
  if (!options.identitySecret || options.identitySecret.length === 0) {
    throw new Error('result-service: identitySecret is required (the key of X-Gateway-Signature)');
  }
  const profiles = options.tenants ?? {};
  validateProfiles(profiles);
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const dbFile = options.dbFile ?? 'var/results.db';
  const cipher = new RowCipher(openKeyring(dbFile, options, now));
  const db = openDatabase(dbFile, now);
  const keys = deriveKeys(options.pinKey ?? options.identitySecret);
  const outbox = new WebhookOutbox(
    db,
    options.webhooks ?? {},
    now,
    fetchFn,
    options.webhookRetryMs ?? WEBHOOK_RETRY_MS,
    cipher,
  );
  // Status webhooks are queued in the same transaction as the change: none is lost or invented.
  const store = new ResultStore(
    db,
    keys.pin,
    (row, status, at, detail) => {
      if (status === 'scheduled') return;
      outbox.enqueue(row.tenant, `result.${status}`, {
        id: row.id,
        externalId: row.external_id,
        status,
        at: iso(at),
        ...(detail ? { error: detail } : {}),
      });
    },
    cipher,
  );
  const mailer =
    options.mailer ??
    (options.smtp
      ? smtpMailer(options.smtp.transport as string, options.smtp.from)
      : fileOutbox(options.outboxDir));
  return {
    db,
    store,
    idempotency: new IdempotencyStore(db, keys.idempotency, now),
    outbox,
    mailer,
    keys,
    cipher,
    dbFile,
    statusFile: dbFile === ':memory:' ? undefined : (options.statusFile ?? dataPaths(dbFile).statusFile),
    now,
    identitySecret: options.identitySecret,
    notifyWebhooks: options.notifyWebhooks ?? {},
    recipientUrls: options.recipientUrls ?? {},
    publicBaseUrl: options.publicBaseUrl ?? 'https://{tenant}.localhost',
    profile: (tenant) =>
      profileOf(
        profiles,
        options.recipientUrls ?? {},
        tenant,
        options.publicBaseUrl ?? 'https://{tenant}.localhost',
      ),
    viewTokenTtlMs: options.viewTokenTtlMs ?? 15 * 60_000,
    notifyRetryMs: options.notifyRetryMs ?? NOTIFY_RETRY_MS,
    pinLimit: options.pinLimit ?? { max: 5, windowMs: 15 * 60_000 },
    timeZone: options.timeZone ?? 'Asia/Tokyo',
    fetch: fetchFn,
  };
}

/**
 * The keyring of a database: in memory with a throw-away master key for `:memory:` (unless a
 * master key is given), else the keyring file with the configured (or default, created) master key.
 */
function openKeyring(dbFile: string, options: ResultAppOptions, now: () => number): Keyring {
  const enc = options.encryption ?? {};
  if (dbFile === ':memory:' && !enc.keyringFile) {
    const master = enc.masterKey === undefined ? randomBytes(32) : loadMasterKey({ key: enc.masterKey });
    return new Keyring({ masterKey: () => master, now });
  }
  const paths = dataPaths(dbFile);
  const source = {
    key: enc.masterKey,
    file: enc.masterKeyFile ?? paths.masterKeyFile,
    // Only the default location is created on first use: a configured file that is missing is an error.
    create: enc.masterKeyFile === undefined,
  };
  return new Keyring({
    file: enc.keyringFile ?? paths.keyringFile,
    masterKey: () => loadMasterKey(source),
    now,
  });
}
