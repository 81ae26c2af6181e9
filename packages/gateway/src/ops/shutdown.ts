/**
 * Graceful shutdown of one listener: stop accepting, let in-flight requests finish, close idle
 * keep-alive sockets at once, and cut whatever is still open after the drain timeout.
 */
import type { ServerType } from '@hono/node-server';

type Closable = ServerType & { closeIdleConnections?: () => void; closeAllConnections?: () => void };

/**
 * Closes a server, draining in-flight requests.
 * @param server an http, https or http2 server
 * @param drainTimeout ms to wait for in-flight requests before cutting connections @default 10000
 * @example await closeServer(httpsServer, 5000)
 */
export function closeServer(server: ServerType, drainTimeout = 10_000): Promise<void> {
  const s = server as Closable;
  if (!s.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => s.closeAllConnections?.(), drainTimeout);
    timer.unref();
    s.close(() => {
      clearTimeout(timer);
      resolve();
    });
    // Idle keep-alive sockets would otherwise hold close() open until their timeout.
    s.closeIdleConnections?.();
  });
}
