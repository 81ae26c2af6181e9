/**
 * A small local endpoint for the result service's status webhooks: verifies each delivery with
 * `@resultgate/sdk/webhooks`, drops repeats by `webhook-id`, and hands the event on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookDeduper, verifyWebhook, WebhookVerificationError } from '@resultgate/sdk/webhooks';

/** The service's status event: `result.published`, `result.notified`, `result.viewed`, … */
export interface StatusEvent {
  type: string;
  timestamp: string;
  data: { id: string; externalId: string; status: string; at: string; error?: string };
}

/** Options of {@link startReceiver}. */
export interface ReceiverOptions {
  /** `whsec_…` (several during a rotation). */
  secret: string | string[];
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default '/webhooks' */
  path?: string;
  onEvent: (event: StatusEvent) => void;
  /** Called with the reason of each refused delivery. */
  onRejected?: (reason: string) => void;
}

const MAX_BODY = 64 * 1024;

/**
 * Starts the endpoint. Answers 204 for a verified (or repeated) delivery, 400 for a refused one.
 * @example const rx = await startReceiver({ secret, port: 4000, onEvent: (e) => console.log(e.type) });
 */
export async function startReceiver(
  options: ReceiverOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const dedupe = createWebhookDeduper();
  const path = options.path ?? '/webhooks';
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    try {
      // The raw bytes, as received: re-serialised JSON would not match the signature.
      const { id, payload } = await verifyWebhook<StatusEvent>(
        Buffer.concat(chunks),
        req.headers,
        options.secret,
      );
      if (!dedupe.isDuplicate(id)) options.onEvent(payload);
      res.writeHead(204).end();
    } catch (err) {
      const reason = err instanceof WebhookVerificationError ? err.reason : 'bad_body';
      options.onRejected?.(reason);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}${path}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
