import { type Diagnosis, diagnose } from './diagnose.js';
import { HttpCore } from './http.js';
import { type ClientOptions, normalizeOptions } from './options.js';
import { fetchNotices } from './resources/notices.js';
import { Results } from './resources/results.js';
import type { Notice } from './types.js';

/**
 * The client of a result notification service behind resultgate. Uses only `fetch`, WebCrypto,
 * `TextEncoder` and `btoa`, so it runs on Node 22+, Deno, Bun and in browsers.
 * @example
 * const client = new ResultClient({ baseUrl: 'https://school-a.example.jp', username: 'hr-sync', password });
 * await client.results.send({ externalId: 'exam-2027-0001', recipient: { id: 'A-0001' }, title: '入学試験', outcome: '合格' });
 */
export class ResultClient {
  /** The Result API v1. */
  readonly results: Results;
  readonly #http: HttpCore;

  /**
   * @param options see {@link ClientOptions}; defaults: `timeout` 30 s, `totalTimeout` 120 s,
   *   `retry` 2 retries from 300 ms (max 10 s, `Retry-After` up to 60 s), `authFailureLimit` 3
   * @throws {TypeError} on a missing or invalid `baseUrl` or option
   */
  constructor(options: ClientOptions) {
    // Kept private: the normalised options hold the ready `Authorization` value.
    this.#http = new HttpCore(Object.freeze(normalizeOptions(options)));
    this.results = new Results(this.#http);
  }

  /**
   * Current and announced maintenance windows of this tenant (`GET /.gateway/notices`).
   * @example for (const n of await client.notices()) console.log(n.start, n.end, n.message);
   */
  notices(options: { signal?: AbortSignal } = {}): Promise<Notice[]> {
    return fetchNotices(this.#http, options);
  }

  /**
   * Reachable? TLS ok? Credentials accepted? Address allowed? Maintenance on or announced?
   * Never throws for a failed probe; each failure is a check's `detail`.
   * @example const d = await client.diagnose(); if (!d.ok) console.log(d);
   */
  diagnose(): Promise<Diagnosis> {
    return diagnose(this.#http);
  }

  /** The normalised base URL (always ends in `/`). */
  get baseUrl(): string {
    return this.#http.options.baseUrl;
  }

  /** Consecutive `401` answers so far; at `authFailureLimit` the client stops sending. */
  get authFailures(): number {
    return this.#http.authFailures;
  }

  /** Closes the auth-failure breaker (after the credentials were fixed on the gateway). */
  resetAuthFailures(): void {
    this.#http.resetAuthFailures();
  }
}
