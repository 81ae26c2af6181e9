/** Builds the SDK client from command-line options (the demo's *.localhost hosts and self-signed CA). */
import { existsSync, readFileSync } from 'node:fs';
import { ResultClient } from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';

/** What every example needs to reach the gateway. */
export interface ConnectOptions {
  baseUrl: string;
  username: string;
  password: string;
  /** PEM file of an extra CA (the demo's var/tls/cert.pem); ignored when missing. */
  caFile?: string | undefined;
}

/**
 * A client whose fetch sends *.localhost to 127.0.0.1 (like curl --resolve) and trusts `caFile`.
 * @example const client = connect({ baseUrl: 'https://school-a.localhost:8443', username, password, caFile: 'var/tls/cert.pem' });
 */
export function connect(options: ConnectOptions): ResultClient {
  const ca = options.caFile && existsSync(options.caFile) ? readFileSync(options.caFile, 'utf8') : undefined;
  return new ResultClient({
    baseUrl: options.baseUrl,
    username: options.username,
    password: options.password,
    fetch: createNodeFetch({ resolve: LOCALHOST_RESOLVE, ...(ca ? { ca } : {}) }),
    retry: { limit: 3 },
  });
}
