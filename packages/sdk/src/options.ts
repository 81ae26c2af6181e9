/**
 * Client options, normalised once into a complete object (as ky's `utils/normalize.ts` does):
 * every later step reads a field without re-checking defaults.
 */

/** The `fetch` the client calls; any WHATWG-compatible implementation works. */
export type FetchLike = (input: Request | URL | string, init?: RequestInit) => Promise<Response>;

/** One debug line: the SDK never puts recipient names, outcomes, details, PINs or passwords in it. */
export interface DebugEvent {
  event: 'request' | 'response' | 'retry' | 'error' | 'breaker';
  method: string;
  /** Path only: query strings can carry exam numbers. */
  path: string;
  status?: number;
  attempt?: number;
  ms?: number;
  requestId?: string;
  code?: string;
  /** The request body with personal fields replaced by `"[redacted]"`. */
  body?: unknown;
}

/** Retry settings. A number is shorthand for `{ limit }`. */
export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @default 2
   */
  limit?: number;
  /**
   * First backoff delay in ms; doubles each retry, with jitter (50–100 % of the delay).
   * @default 300
   */
  baseDelay?: number;
  /**
   * Upper bound of one backoff delay in ms.
   * @default 10_000
   */
  maxDelay?: number;
  /**
   * The longest `Retry-After` (ms) the client will wait for. A longer one is not waited for:
   * the error is thrown at once with its `retryAfter` so the caller can decide.
   * @default 60_000
   */
  maxRetryAfter?: number;
}

/** Options of {@link ResultClient}. */
export interface ClientOptions {
  /** The tenant's gateway origin, e.g. `https://school-a.example.jp`. */
  baseUrl: string | URL;
  /** The integration user (Basic auth). */
  username?: string;
  password?: string;
  /**
   * Per-attempt timeout in ms.
   * @default 30_000
   */
  timeout?: number;
  /**
   * Timeout in ms for a whole call including retries and their waits; `false` for none.
   * @default 120_000
   */
  totalTimeout?: number | false;
  /** @default { limit: 2, baseDelay: 300, maxDelay: 10_000, maxRetryAfter: 60_000 } */
  retry?: number | RetryOptions;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * `User-Agent` (ignored by browsers, which do not allow setting it).
   * @default 'resultgate-sdk/<version>'
   */
  userAgent?: string;
  /** `true` logs redacted {@link DebugEvent}s to `console.debug`; a function receives them. */
  debug?: boolean | ((event: DebugEvent) => void);
  /**
   * After this many consecutive `401`s the client throws at once without sending
   * (so a wrong password cannot walk the account into the gateway's lockout). `0` disables.
   * @default 3
   */
  authFailureLimit?: number;
}

/** {@link ClientOptions} with every default filled. */
export interface NormalizedOptions {
  baseUrl: string;
  authorization: string | undefined;
  timeout: number;
  totalTimeout: number | false;
  retry: Required<RetryOptions>;
  fetch: FetchLike;
  userAgent: string;
  debug: ((event: DebugEvent) => void) | undefined;
  authFailureLimit: number;
}

export const SDK_VERSION = '0.1.0';

/** The defaults, in one table. */
export const DEFAULT_OPTIONS = {
  timeout: 30_000,
  totalTimeout: 120_000,
  retry: { limit: 2, baseDelay: 300, maxDelay: 10_000, maxRetryAfter: 60_000 },
  userAgent: `resultgate-sdk/${SDK_VERSION}`,
  authFailureLimit: 3,
} as const;

/**
 * `Basic` credentials for UTF-8 user names and passwords (RFC 7617 `charset="UTF-8"`):
 * `btoa` alone only takes Latin-1, so the bytes are encoded first.
 */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

/**
 * Fills defaults and validates. Throws `TypeError` on a missing/invalid `baseUrl` or a bad number.
 * @example normalizeOptions({ baseUrl: 'https://school-a.example.jp', username: 'hr-sync', password })
 */
export function normalizeOptions(options: ClientOptions): NormalizedOptions {
  if (!options?.baseUrl) throw new TypeError('baseUrl is required');
  const url = new URL(String(options.baseUrl));
  // Credentials in the URL would travel in every error's `url` and in logs: refuse them.
  if (url.username || url.password)
    throw new TypeError('baseUrl must not hold credentials: pass username and password');
  url.search = '';
  url.hash = '';
  // A trailing slash makes relative paths extend the base path instead of replacing its last segment.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const retryIn = typeof options.retry === 'number' ? { limit: options.retry } : (options.retry ?? {});
  const d = DEFAULT_OPTIONS.retry;
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (typeof fetchImpl !== 'function') throw new TypeError('no fetch available: pass options.fetch');
  const { username, password } = options;
  if ((username === undefined) !== (password === undefined)) {
    throw new TypeError('username and password go together');
  }
  const debug = options.debug === true ? (e: DebugEvent) => console.debug('[resultgate]', e) : options.debug;
  return {
    baseUrl: url.href,
    authorization: username === undefined ? undefined : basicAuthorization(username, password ?? ''),
    timeout: positive('timeout', options.timeout, DEFAULT_OPTIONS.timeout),
    totalTimeout:
      options.totalTimeout === false
        ? false
        : positive('totalTimeout', options.totalTimeout, DEFAULT_OPTIONS.totalTimeout),
    retry: {
      limit: Math.floor(positive('retry.limit', retryIn.limit, d.limit)),
      baseDelay: positive('retry.baseDelay', retryIn.baseDelay, d.baseDelay),
      maxDelay: positive('retry.maxDelay', retryIn.maxDelay, d.maxDelay),
      maxRetryAfter: positive('retry.maxRetryAfter', retryIn.maxRetryAfter, d.maxRetryAfter),
    },
    fetch: fetchImpl,
    userAgent: options.userAgent ?? DEFAULT_OPTIONS.userAgent,
    debug: debug || undefined,
    authFailureLimit: Math.floor(
      positive('authFailureLimit', options.authFailureLimit, DEFAULT_OPTIONS.authFailureLimit),
    ),
  };
}
