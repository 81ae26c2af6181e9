/**
 * The request body on its way to the upstream: counted against `upstream.maxBodySize` while it
 * streams (a chunked body has no Content-Length to check up front), and decoupled from the client
 * socket so that an upstream failure does not destroy the request before the gateway can answer
 * 502/504/413 on it.
 */
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

/** The streamed body went past `maxBodySize`. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) done(new BodyTooLargeError(`request body over ${this.max} bytes`));
    else done(null, chunk);
  }
}

function abortBody(this: IncomingMessage & { rgLimit?: BodyLimit }, err?: Error): void {
  this.rgLimit?.destroy(err ?? new Error('client aborted the request body'));
}

/**
 * Returns a stream of the request body that fails with {@link BodyTooLargeError} past `max` bytes.
 * @example pool.dispatch({ path, method, headers, body: limitBody(incoming, maxBodySize) }, hop)
 */
export function limitBody(incoming: IncomingMessage, max: number): Transform {
  const limit = new BodyLimit(max);
  (incoming as IncomingMessage & { rgLimit?: BodyLimit }).rgLimit = limit;
  // pipe() does not forward errors; a client that stops sending must not leave the upstream waiting.
  incoming.once('error', abortBody);
  incoming.once('aborted', abortBody);
  incoming.pipe(limit);
  return limit;
}
