/**
 * `@resultgate/sdk/node`: a `fetch` for Node with a resolver map, like curl's `--resolve`.
 * Some machines' resolvers do not send `*.localhost` to loopback (`getaddrinfo` → ENOTFOUND), so
 * the demo tenants (`https://school-a.localhost:8443`) are unreachable with the global fetch.
 * This entry is separate so the main entry stays free of Node built-ins and undici.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOneOptions } from 'node:dns';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import type { FetchLike } from './options.js';

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /**
   * Host name → IP address. A key `*.example` matches every subdomain of `example`.
   * Unlisted names use the system resolver.
   * @default {} (see {@link LOCALHOST_RESOLVE})
   */
  resolve?: Record<string, string>;
  /** Extra trusted CA certificate(s) in PEM, e.g. the demo's self-signed certificate. */
  ca?: string | string[];
  /**
   * Verify the server's certificate. Only turn off against a local demo.
   * @default true
   */
  rejectUnauthorized?: boolean;
}

/** Sends every `*.localhost` name to 127.0.0.1, as curl and browsers do. */
export const LOCALHOST_RESOLVE: Readonly<Record<string, string>> = Object.freeze({
  localhost: '127.0.0.1',
  '*.localhost': '127.0.0.1',
});

/** The address for `hostname` from the map, or undefined. Exported for tests. */
export function resolveFromMap(map: Record<string, string>, hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (map[host]) return map[host];
  for (const [pattern, address] of Object.entries(map)) {
    if (pattern.startsWith('*.') && host.endsWith(pattern.slice(1))) return address;
  }
  return undefined;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A fetch that connects listed host names to fixed addresses while keeping the URL's host for
 * `Host` and TLS SNI/certificate checks. Pass it as `new ResultClient({ fetch })`.
 * @example
 * import { ResultClient } from '@resultgate/sdk';
 * import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
 * const fetch = createNodeFetch({ resolve: LOCALHOST_RESOLVE, ca: readFileSync('var/tls/cert.pem', 'utf8') });
 * const client = new ResultClient({ baseUrl: 'https://school-a.localhost:8443', username, password, fetch });
 */
export function createNodeFetch(options: NodeFetchOptions = {}): FetchLike & { dispatcher: Dispatcher } {
  const map = options.resolve ?? {};
  const lookup = (hostname: string, opts: LookupOneOptions & { all?: boolean }, cb: LookupCallback) => {
    const mapped = resolveFromMap(map, hostname);
    if (!mapped) {
      dnsLookup(hostname, opts as never, cb as never);
      return;
    }
    const family = mapped.includes(':') ? 6 : 4;
    if (opts?.all) cb(null, [{ address: mapped, family }]);
    else cb(null, mapped, family);
  };
  const dispatcher = new Agent({
    connect: {
      lookup: lookup as never,
      ...(options.ca ? { ca: options.ca } : {}),
      rejectUnauthorized: options.rejectUnauthorized ?? true,
    },
  });
  const fetchWithMap = async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    // ky hands over a global `Request`; undici's own fetch is given plain parts so the two
    // Request implementations never have to recognise each other.
    const req = new Request(input, init);
    const body = req.body ? await req.arrayBuffer() : undefined;
    const res = await undiciFetch(req.url, {
      method: req.method,
      headers: [...req.headers],
      body,
      signal: req.signal,
      redirect: req.redirect,
      dispatcher,
    });
    return res as unknown as Response;
  };
  return Object.assign(fetchWithMap, { dispatcher });
}
