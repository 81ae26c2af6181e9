/** Options, the shared service context and the Hono env of the result service. */
import type { DatabaseSync } from 'node:sqlite';
import type { HttpBindings } from '@hono/node-server';
import type { Identity } from '@resultgate/gateway/identity';
import type { RowCipher } from './crypto/row-cipher.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Mailer } from './notify/mailer.js';
import type { WebhookOutbox, WebhookTarget } from './notify/webhooks.js';
import type { ServiceKeys } from './secrets.js';
import type { ResultStore } from './store.js';
import type { TenantProfile, TenantProfileInput } from './tenants.js';

/** Options of `createResultApp` (and, with `port`/`host`, of `startResultService`). */
export interface ResultAppOptions {
  /** The SQLite file (`:memory:` for throw-away). @default 'var/results.db' */
  dbFile?: string;
  /** The key the gateway signs `X-Gateway-Signature` with (`identity.secretFile`). Required. */
  identitySecret: Uint8Array | string;
  /** Key for PIN hashes and stored idempotent answers. @default derived from `identitySecret` */
  pinKey?: Uint8Array | string;
  /** Directory of the default file outbox. @default 'var/outbox' */
  outboxDir?: string;
  /** How recipients are e-mailed. @default SMTP when `smtp` is set, else a file outbox */
  mailer?: Mailer;
  /** SMTP settings for nodemailer: an URL or options, and the sender address. */
  smtp?: { transport: string | Record<string, unknown>; from: string };
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
  /** How often the scheduler runs; 0 disables it (tests call `tick()`). @default 1000 */
  schedulerIntervalMs?: number;
  /** Status webhooks per tenant: `{ [tenant]: { url, secret: 'whsec_…' } }`. */
  webhooks?: Record<string, WebhookTarget>;
  /** Tenants that notify recipients through their own system instead of e-mail. */
  notifyWebhooks?: Record<string, WebhookTarget>;
  /** The recipient page URL per tenant, for notifications. @default `<publicBaseUrl>/r` */
  recipientUrls?: Record<string, string>;
  /**
   * Where recipients reach the service through the gateway, `{tenant}` replaced by the tenant id.
   * @default 'https://{tenant}.localhost'
   */
  publicBaseUrl?: string;
  /**
   * Each tenant's display name, contact line, public base URL (e-mail links) and sender address,
   * as recipients and staff see them (tenants.ts). @default the tenant id, no contact line
   */
  tenants?: Record<string, TenantProfileInput>;
  /** How long the signed view token lets a recipient reload their result page. @default 15 min */
  viewTokenTtlMs?: number;
  /** The `fetch` used for webhooks. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits before each notification retry; after the last the result is `failed`. @default 1m, 5m, 15m, 1h */
  notifyRetryMs?: number[];
  /** Waits before each webhook retry. @default WEBHOOK_RETRY_MS */
  webhookRetryMs?: number[];
  /** Wrong PINs allowed per access code in a window. @default { max: 5, windowMs: 15 min } */
  pinLimit?: { max: number; windowMs: number };
  /** Time zone of times shown on the pages. @default 'Asia/Tokyo' */
  timeZone?: string;
  /**
   * Encryption at rest of personal fields (see crypto/). The master key comes from `masterKey`
   * (32 bytes or base64url), else `masterKeyFile` (created on first use when missing).
   * @default for a file database: `<db dir>/master.key` and `<db dir>/keyring.json`; for
   * `:memory:` a throw-away key and an in-memory keyring
   */
  encryption?: EncryptionOptions;
  /**
   * Where the service reports its backups, restores, encryption and purges for
   * `resultgate report --data-status FILE`. @default `<db dir>/data-status.json` (none for `:memory:`)
   */
  statusFile?: string;
}

/** Options of encryption at rest. */
export interface EncryptionOptions {
  /** The master key itself (32 bytes, or base64url of them); wins over `masterKeyFile`. */
  masterKey?: Uint8Array | string;
  /** The master key file. @default `<db dir>/master.key` */
  masterKeyFile?: string;
  /** The keyring file (tenant keys wrapped by the master key). @default `<db dir>/keyring.json` */
  keyringFile?: string;
}

/** Everything a route or the scheduler needs, built once per app. */
export interface ServiceContext {
  db: DatabaseSync;
  store: ResultStore;
  idempotency: IdempotencyStore;
  outbox: WebhookOutbox;
  mailer: Mailer;
  keys: ServiceKeys;
  /** Seals personal fields with tenant keys; its keyring is shared with purge and rotation. */
  cipher: RowCipher;
  /** The database file (`:memory:` for none). */
  dbFile: string;
  /** The data-status file, or undefined for an in-memory database. */
  statusFile: string | undefined;
  now: () => number;
  identitySecret: Uint8Array | string;
  notifyWebhooks: Record<string, WebhookTarget>;
  recipientUrls: Record<string, string>;
  publicBaseUrl: string;
  /** A tenant's display name, contact line and public URLs. */
  profile(tenant: string): TenantProfile;
  viewTokenTtlMs: number;
  notifyRetryMs: readonly number[];
  pinLimit: { max: number; windowMs: number };
  timeZone: string;
  fetch: typeof fetch;
}

/**
 * Hono env: the verified identity and the request id. Served by @hono/node-server the bindings
 * hold Node's `incoming` (whose raw `url` the signature is checked against); under
 * `app.request()` in unit tests there are none.
 */
export interface ServiceEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    identity: Identity;
  };
}
