/**
 * The request core: one ky instance with the retry policy, error mapping to the typed errors,
 * the auth-failure breaker and the redacting debug logger. Resources call {@link HttpCore.request}.
 */
import ky, { HTTPError, isHTTPError, isKyError, isNetworkError, isTimeoutError, type KyInstance } from 'ky';
import { errorFromResponse, errorWithoutResponse, safeCause, safeUrl } from './error-factory.js';
import { AuthenticationError, ResultGateError } from './errors.js';
import type { DebugEvent, NormalizedOptions } from './options.js';
import { redact } from './redact.js';

/** Options of one request. */
export interface RequestOptions {
  json?: unknown;
  searchParams?: Record<string, string | number | boolean | undefined>;
  /** Sent as `Idempotency-Key`; a POST without one is never retried. */
  idempotencyKey?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Send the Basic credentials. @default true */
  auth?: boolean;
  /** Allow retries. @default true */
  retry?: boolean;
}

/** The answer of a request: the parsed JSON body (undefined when empty) and the response. */
export interface HttpResult<T> {
  data: T;
  response: Response;
}

/** Statuses retried (with the checks of {@link shouldRetry}); `500` is not: it is a bug, not a blip. */
const RETRY_STATUS = [429, 502, 503, 504];

function errorCodeOf(data: unknown): string | undefined {
  const err = (data as { error?: { code?: unknown } } | undefined)?.error;
  return typeof err?.code === 'string' ? err.code : undefined;
}

/**
 * What must never appear in an error: the `Authorization` value, its base64 part, `user:password`
 * and the password itself (a message from a custom `fetch` might quote any of them).
 */
function secretsOf(authorization: string | undefined): string[] {
  if (!authorization) return [];
  const b64 = authorization.replace(/^Basic\s+/i, '');
  const pair = new TextDecoder().decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  const password = pair.slice(pair.indexOf(':') + 1);
  // Longest first, so a password inside `user:password` is not half-replaced.
  return [authorization, b64, pair, ...(password.length >= 4 ? [password] : [])];
}

/** Parses a 2xx body; HTML or other non-JSON usually means `baseUrl` is not the gateway's API. */
function parseBody<T>(text: string, response: Response, method: string, url: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    // Not the SyntaxError itself: its message quotes the start of the body.
    const cause = { name: (error as Error).name, message: 'the body is not valid JSON' };
    throw new ResultGateError({
      code: 'invalid_response',
      message: `the answer is not JSON (${response.headers.get('content-type') ?? 'no content-type'}): is baseUrl the gateway?`,
      status: response.status,
      method,
      url: safeUrl(url),
      requestId: response.headers.get('x-request-id') ?? undefined,
      cause,
    });
  }
}

/** The client's request core. Not exported from the package: resources wrap it. */
export class HttpCore {
  readonly options: NormalizedOptions;
  readonly #ky: KyInstance;
  readonly #secrets: readonly string[];
  #authFailures = 0;

  constructor(options: NormalizedOptions) {
    this.options = options;
    this.#secrets = secretsOf(options.authorization);
    const { retry } = options;
    const log = options.debug;
    this.#ky = ky.create({
      baseUrl: options.baseUrl,
      timeout: options.timeout,
      totalTimeout: options.totalTimeout,
      fetch: options.fetch as typeof fetch,
      headers: { accept: 'application/json', 'user-agent': options.userAgent },
      retry: {
        limit: retry.limit,
        methods: ['get', 'head', 'put', 'delete', 'post'],
        statusCodes: RETRY_STATUS,
        afterStatusCodes: [429, 503],
        maxRetryAfter: retry.maxRetryAfter,
        backoffLimit: retry.maxDelay,
        delay: (attempt) => retry.baseDelay * 2 ** (attempt - 1),
        // "Equal jitter": keeps a floor so retries never hammer, spreads the herd above it.
        jitter: (delay) => delay * (0.5 + Math.random() * 0.5),
        retryOnTimeout: true,
        shouldRetry: ({ error }) => this.#shouldRetry(error),
      },
      hooks: log
        ? {
            afterResponse: [
              ({ request, response, retryCount }) => {
                log({
                  event: 'response',
                  method: request.method,
                  path: new URL(request.url).pathname,
                  status: response.status,
                  attempt: retryCount + 1,
                  requestId: response.headers.get('x-request-id') ?? undefined,
                });
              },
            ],
            beforeRetry: [
              ({ request, error, retryCount }) => {
                const status = isHTTPError(error) ? error.response.status : undefined;
                const code = isHTTPError(error) ? errorCodeOf(error.data) : error.name;
                const path = new URL(request.url).pathname;
                log({ event: 'retry', method: request.method, path, status, code, attempt: retryCount + 1 });
              },
            ],
          }
        : {},
    });
  }

  /**
   * Retry policy on top of ky's defaults: never a POST without its idempotency key, never a
   * lockout, always a `409 idempotency_in_progress`, and never a `Retry-After` longer than the cap (maintenance windows included):
   * those are thrown at once with their `retryAfter`, so a caller is not silently parked.
   */
  #shouldRetry(error: Error): boolean | undefined {
    const request = (error as { request?: Request }).request;
    if (request?.method === 'POST' && !request.headers.has('idempotency-key')) return false;
    if (!(error instanceof HTTPError)) return undefined;
    const { status, headers } = error.response;
    const code = errorCodeOf(error.data);
    if (code === 'locked_out') return false;
    // The first attempt with this key is still running on the server: ask again shortly.
    if (code === 'idempotency_in_progress') return true;
    if (status === 429 || status === 503) {
      const retryAfter = headers.get('retry-after');
      const seconds = retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
      if (seconds !== undefined && seconds * 1000 > this.options.retry.maxRetryAfter) return false;
      if (code === 'maintenance' && seconds === undefined) return false;
    }
    return undefined;
  }

  /** Consecutive `401`s seen (reset by any success). */
  get authFailures(): number {
    return this.#authFailures;
  }

  /** Closes the auth breaker, e.g. after the password was fixed on the gateway. */
  resetAuthFailures(): void {
    this.#authFailures = 0;
  }

  /**
   * Sends one request and parses its JSON answer.
   * @throws {ResultGateError} the subclass chosen by the gateway/service error code
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    const { options } = this;
    // Relative paths extend the base path; `/.gateway/…` is absolute on the tenant's host.
    const url = new URL(path, options.baseUrl).href;
    const useAuth = opts.auth !== false && options.authorization !== undefined;
    const limit = options.authFailureLimit;
    if (useAuth && limit > 0 && this.#authFailures >= limit) {
      this.#debug({ event: 'breaker', method, path: new URL(url).pathname });
      throw new AuthenticationError({
        code: 'auth_breaker_open',
        message: `not sent: ${this.#authFailures} consecutive 401 answers; fix the credentials, then call resetAuthFailures()`,
        method,
        url: safeUrl(url),
      });
    }
    const headers: Record<string, string> = {};
    if (useAuth) headers.authorization = options.authorization as string;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    this.#debug({ event: 'request', method, path: new URL(url).pathname, body: redact(opts.json) });
    const started = Date.now();
    try {
      const response = await this.#ky(url, {
        method,
        headers,
        json: opts.json,
        searchParams: opts.searchParams,
        signal: opts.signal,
        ...(opts.retry === false ? { retry: 0 } : {}),
      });
      if (useAuth) this.#authFailures = 0;
      const text = await response.text();
      return { data: parseBody<T>(text, response, method, url), response };
    } catch (error) {
      const mapped = this.#map(error, method, url);
      if (useAuth && mapped && mapped.status === 401) this.#authFailures++;
      // Never one of ky's own errors, which hold the request with its credentials and body; the
      // caller's abort reason or its own fetch's error goes through as it is.
      const e = mapped ?? (isKyError(error) ? this.#unexpected(error, method, url) : error);
      const info = mapped ? { status: mapped.status, code: mapped.code, requestId: mapped.requestId } : {};
      this.#debug({ event: 'error', method, path: new URL(url).pathname, ms: Date.now() - started, ...info });
      throw e;
    }
  }

  #map(error: unknown, method: string, url: string): ResultGateError | undefined {
    if (error instanceof ResultGateError) return error;
    if (isHTTPError(error)) {
      const { response } = error;
      return errorFromResponse({
        status: response.status,
        body: error.data,
        headers: response.headers,
        method,
        url,
      });
    }
    const secrets = this.#secrets;
    if (isTimeoutError(error)) return errorWithoutResponse('timeout', method, url, undefined, secrets);
    if (isNetworkError(error))
      return errorWithoutResponse('network', method, url, error.cause ?? error, secrets);
    // A fetch that fails in a way ky does not recognise (e.g. a TLS error from a custom fetch).
    if (error instanceof TypeError && error.message !== 'Invalid URL') {
      return errorWithoutResponse('network', method, url, error, secrets);
    }
    return undefined;
  }

  /** A ky error the mapping does not know, as a scrubbed `ResultGateError`. */
  #unexpected(error: unknown, method: string, url: string): ResultGateError {
    return new ResultGateError({
      code: 'request_failed',
      message: safeCause(error, this.#secrets)?.message || 'the request failed',
      method,
      url: safeUrl(url),
      cause: safeCause(error, this.#secrets),
    });
  }

  #debug(event: DebugEvent): void {
    this.options.debug?.(event);
  }
}
