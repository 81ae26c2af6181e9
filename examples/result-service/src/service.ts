/** Runs the result service on a port, with its background scheduler. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createResultApp, type ResultApp } from './app.js';
import { startScheduler } from './scheduler.js';
import type { ResultAppOptions } from './types.js';

/** Options of {@link startResultService}. */
export interface ResultServiceOptions extends ResultAppOptions {
  /** Port to listen on; 0 picks a free one. @default 3000 */
  port?: number;
  /** Address to listen on. Keep it on loopback: only the gateway should reach it. @default '127.0.0.1' */
  host?: string;
}

/** A running result service. */
export interface RunningResultService extends ResultApp {
  /** `http://host:port` — the gateway's `server.upstream.url`. */
  url: string;
  port: number;
  /** Stops the scheduler (waiting for a running tick), the listener and the database. */
  close(): Promise<void>;
}

/**
 * Opens the database, starts the scheduler and listens.
 * @param options see {@link ResultServiceOptions}; `identitySecret` is required
 * @throws Error when the port is taken or `identitySecret` is missing
 * @example
 * const service = await startResultService({ identitySecret, port: 0 });
 * try { console.log(service.url) } finally { await service.close() }
 */
export async function startResultService(options: ResultServiceOptions): Promise<RunningResultService> {
  const resultApp = createResultApp(options);
  const host = options.host ?? '127.0.0.1';
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: resultApp.app.fetch, port: options.port ?? 3000, hostname: host }) as Server;
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    resultApp.close();
    throw err;
  }
  const interval = options.schedulerIntervalMs ?? 1000;
  const scheduler = interval > 0 ? startScheduler(resultApp.context, interval) : undefined;
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    ...resultApp,
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        await scheduler?.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        resultApp.close();
      })();
      return closing;
    },
  };
}
