/**
 * `client.diagnose()`: the first support question answered in one call — is the gateway
 * reachable, is TLS fine, are the credentials accepted, is this machine's address allowed, is a
 * maintenance window on or announced. Two requests, no retries, never counted as a lockout risk
 * beyond one attempt (the auth breaker still applies).
 */
import { describeCause } from './error-factory.js';
import { isResultGateError, type ResultGateError } from './errors.js';
import type { HttpCore } from './http.js';
import { fetchNotices } from './resources/notices.js';
import type { Notice } from './types.js';

/** One answer: `ok: null` means "could not tell" (an earlier step failed). */
export interface DiagnosisCheck {
  ok: boolean | null;
  detail: string;
}

/** The structured answer of `diagnose()`. */
export interface Diagnosis {
  /** True when nothing stands between this client and the Result API right now. */
  ok: boolean;
  baseUrl: string;
  reachable: DiagnosisCheck;
  tls: DiagnosisCheck;
  credentials: DiagnosisCheck;
  addressAllowed: DiagnosisCheck;
  maintenance: DiagnosisCheck & { active: Notice[]; upcoming: Notice[] };
  /** Request ids of the probes, for the operator. */
  requestIds: string[];
}

const TLS_CAUSE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/i;

const unknown = (detail: string): DiagnosisCheck => ({ ok: null, detail });

/**
 * Runs the probes. Never throws for a request failure: every failure becomes a check's `detail`.
 * @example const d = await client.diagnose(); if (!d.ok) console.table(d);
 */
export async function diagnose(http: HttpCore, now: () => number = Date.now): Promise<Diagnosis> {
  const { baseUrl, authorization } = http.options;
  const https = new URL(baseUrl).protocol === 'https:';
  const d: Diagnosis = {
    ok: false,
    baseUrl,
    reachable: unknown('not checked'),
    tls: https
      ? unknown('not checked')
      : { ok: false, detail: 'plain http: the gateway serves the API on https only' },
    credentials: authorization ? unknown('not checked') : unknown('no username/password configured'),
    addressAllowed: unknown('not checked'),
    maintenance: { ...unknown('not checked'), active: [], upcoming: [] },
    requestIds: [],
  };

  const seen = (err: ResultGateError) => {
    if (err.requestId) d.requestIds.push(err.requestId);
    if (err.status !== undefined) {
      d.reachable = { ok: true, detail: `answered ${err.status}` };
      if (https) d.tls = { ok: true, detail: 'handshake ok' };
    }
    if (err.code === 'ip_not_allowed')
      d.addressAllowed = { ok: false, detail: 'this address is not in the allow-list' };
    if (err.code === 'maintenance') {
      d.maintenance = {
        ...d.maintenance,
        ok: false,
        detail: `maintenance in progress (retry after ${err.headers?.get('retry-after') ?? '?'} s)`,
      };
    }
  };

  try {
    const notices = await fetchNotices(http, { retry: false });
    d.reachable = { ok: true, detail: 'the gateway answered' };
    if (https) d.tls = { ok: true, detail: 'handshake ok' };
    const t = now();
    const active = notices.filter((n) => n.active ?? (Date.parse(n.start) <= t && t < Date.parse(n.end)));
    const upcoming = notices.filter((n) => Date.parse(n.start) > t);
    const next = upcoming.map((n) => `${n.start}–${n.end}`).join(', ');
    d.maintenance = {
      ok: active.length === 0,
      detail: active.length
        ? 'maintenance in progress'
        : upcoming.length
          ? `announced: ${next}`
          : 'none announced',
      active,
      upcoming,
    };
  } catch (err) {
    if (!isResultGateError(err)) throw err;
    seen(err);
    if (err.status === undefined) {
      const cause = describeCause(err.cause);
      if (TLS_CAUSE.test(cause)) {
        d.reachable = { ok: true, detail: 'TCP connection made' };
        d.tls = { ok: false, detail: cause };
      } else d.reachable = { ok: false, detail: `${err.code}: ${cause}` };
    }
  }

  if (d.reachable.ok && !(https && d.tls.ok === false) && authorization) {
    try {
      const { response } = await http.request('GET', 'api/v1/results', {
        searchParams: { limit: 1 },
        retry: false,
      });
      const id = response.headers.get('x-request-id');
      if (id) d.requestIds.push(id);
      d.credentials = { ok: true, detail: 'accepted' };
      d.addressAllowed = { ok: true, detail: 'allowed' };
    } catch (err) {
      if (!isResultGateError(err)) throw err;
      seen(err);
      if (err.code === 'auth_breaker_open')
        d.credentials = { ok: false, detail: 'not sent: the auth breaker is open' };
      else if (err.status === 401) {
        d.credentials = { ok: false, detail: 'rejected (wrong user name or password)' };
        d.addressAllowed = { ok: true, detail: 'allowed (the address check comes before credentials)' };
      } else if (err.code === 'locked_out') {
        d.credentials = {
          ok: false,
          detail: `account locked out, retry after ${err.headers?.get('retry-after') ?? '?'} s`,
        };
      } else if (err.code === 'forbidden') {
        d.credentials = { ok: false, detail: 'accepted, but the user lacks the role for the API zone' };
        d.addressAllowed = { ok: true, detail: 'allowed' };
      } else if (err.code !== 'ip_not_allowed' && err.code !== 'maintenance') {
        d.credentials = unknown(`${err.code}${err.status ? ` (${err.status})` : ''}`);
      }
    }
  }
  d.ok =
    d.reachable.ok === true &&
    d.tls.ok !== false &&
    d.credentials.ok === true &&
    d.addressAllowed.ok === true &&
    d.maintenance.ok !== false;
  return d;
}
