/**
 * The request body on its way to the upstream (issue #14). Three rules, as nginx applies them:
 *
 * - a small body (up to `server.bufferBodySize`) is read whole before an upstream connection is
 *   taken, so a slow or abandoned upload never holds one of the pool's connections;
 * - a body that stops arriving for `server.bodyTimeout` ends the request (`408`), counted only
 *   while the gateway is actually waiting for the client — not while the body waits for a free
 *   upstream connection or for the upstream to read;
 * - the body is counted against `upstream.maxBodySize` as it streams (a chunked body has no
 *   Content-Length to check up front).
 *
 * Every error of the streamed body is this module's own: the stream always has its listener, so a
 * client that disconnects while its request still waits in the upstream pool's queue (where undici
 * has not yet attached one) cannot raise an unhandled `'error'` that ends the process.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** The body went past `maxBodySize`. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** The client sent nothing for `bodyTimeout` while the gateway was waiting for its body. */
export class BodyTimeoutError extends Error {
  override name = 'BodyTimeoutError';
}

/** The client went away before its body was complete. */
export class BodyAbortedError extends Error {
  override name = 'BodyAbortedError';
}

/** Limits of one request body. */
export interface BodyLimits {
  /** Bodies up to this many bytes are read whole before the upstream is contacted (0: never). */
  buffer: number;
  /** Bytes a body may have at most (`upstream.maxBodySize`). */
  max: number;
  /** ms the client may leave the gateway waiting for the next bytes. */
  idleMs: number;
}

/** Bodies read ahead by {@link prereadBody}, for the proxy's {@link readBody} to take. */
const prereads = new WeakMap<IncomingMessage, Promise<Buffer | BodyStream>>();

/**
 * True when a request has a body that {@link readBody} would read whole before going on (a declared
 * length up to `limits.buffer`, or a chunked body, whose first `limits.buffer` bytes are read).
 */
export function bodyToBuffer(incoming: IncomingMessage, limits: BodyLimits): boolean {
  const cl = incoming.headers['content-length'];
  if (cl === undefined) return incoming.headers['transfer-encoding'] !== undefined;
  return cl !== '0' && Number(cl) <= Math.min(limits.buffer, limits.max);
}

/**
 * Reads the body now, before the request takes a place anywhere (the admission step: a slow
 * upload must not hold one of a zone's `maxConcurrent` slots while it trickles in, as nginx reads
 * a body whole before it proxies). The proxy's {@link readBody} then takes this read, whatever
 * its outcome; it is never read twice.
 */
export function prereadBody(incoming: IncomingMessage, limits: BodyLimits): Promise<Buffer | BodyStream> {
  const read = readBodyNow(incoming, limits);
  prereads.set(incoming, read);
  return read;
}

/**
 * The body, read whole when it fits `limits.buffer`, else a stream that starts with what was read.
 * @throws {BodyTooLargeError | BodyTimeoutError | BodyAbortedError} while reading the buffered part
 * @example const body = await readBody(incoming, { buffer: 65536, max: 10 << 20, idleMs: 30_000 });
 */
export function readBody(incoming: IncomingMessage, limits: BodyLimits): Promise<Buffer | BodyStream> {
  return prereads.get(incoming) ?? readBodyNow(incoming, limits);
}

function readBodyNow(incoming: IncomingMessage, limits: BodyLimits): Promise<Buffer | BodyStream> {
  const declared = incoming.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  // A declared length over the buffer streams at once: no reason to wait for the first part.
  const buffer = Math.min(limits.buffer, limits.max);
  if (length !== undefined && length > buffer)
    return Promise.resolve(new BodyStream(incoming, [], 0, limits));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new BodyTimeoutError('request body idle')), limits.idleMs);
    };
    const finish = (outcome: Error | Buffer | BodyStream) => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('close', onClose);
      incoming.off('error', onClose);
      if (outcome instanceof Error) {
        // Nothing more of this body is wanted; the answer closes the connection.
        incoming.resume();
        reject(outcome);
      } else resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      chunks.push(chunk);
      if (seen > limits.max) return finish(new BodyTooLargeError(`request body over ${limits.max} bytes`));
      if (seen > buffer) {
        // Larger than the buffer (a chunked body): the rest streams behind what was read.
        incoming.pause();
        finish(new BodyStream(incoming, chunks, seen, limits));
        return;
      }
      arm();
    };
    const onEnd = () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, seen));
    const onClose = () => {
      if (!incoming.complete) finish(new BodyAbortedError('client aborted the request body'));
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('close', onClose);
    incoming.once('error', onClose);
    arm();
  });
}

/**
 * The streamed part of a body. Reads `incoming` only while its consumer (undici, once it has a
 * connection) asks for more; the idle timer runs only then. Its errors are kept in `failure` and
 * never thrown at nobody.
 */
export class BodyStream extends Readable {
  /** Why the body failed, if it did (the proxy maps it to 408, 413 or 499). */
  failure: Error | undefined;
  private seen: number;
  private timer: NodeJS.Timeout | undefined;
  private pending: Buffer[];
  private ended = false;

  constructor(
    private readonly incoming: IncomingMessage,
    head: Buffer[],
    seen: number,
    private readonly limits: BodyLimits,
  ) {
    super();
    this.pending = head;
    this.seen = seen;
    // Our own listener: an error while undici has none attached must not reach 'uncaughtException'.
    this.on('error', (err) => {
      this.failure ??= err;
    });
    incoming.pause();
    incoming.on('data', this.onData);
    incoming.once('end', this.onEnd);
    incoming.once('close', this.onClose);
    incoming.once('error', this.onClose);
    if (seen > limits.max) this.destroy(new BodyTooLargeError(`request body over ${limits.max} bytes`));
  }

  private readonly onData = (chunk: Buffer): void => {
    this.seen += chunk.length;
    if (this.seen > this.limits.max) {
      this.destroy(new BodyTooLargeError(`request body over ${this.limits.max} bytes`));
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.push(chunk)) this.incoming.pause();
    else this.arm();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    clearTimeout(this.timer);
    this.push(null);
  };

  private readonly onClose = (): void => {
    if (!this.ended && !this.incoming.complete)
      this.destroy(new BodyAbortedError('client aborted the request body'));
  };

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.destroy(new BodyTimeoutError('request body idle')),
      this.limits.idleMs,
    );
  }

  override _read(): void {
    // First what was read while deciding whether to buffer, then the client's socket.
    while (this.pending.length > 0) {
      if (!this.push(this.pending.shift()!)) return;
    }
    if (this.ended) return;
    this.arm();
    this.incoming.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.timer);
    this.incoming.off('data', this.onData);
    this.incoming.off('end', this.onEnd);
    this.incoming.off('close', this.onClose);
    this.incoming.off('error', this.onClose);
    if (err) {
      this.failure ??= err;
      // The rest of this body is not wanted: read and drop it (the answer closes the connection).
      this.incoming.resume();
    }
    cb(err);
  }
}
