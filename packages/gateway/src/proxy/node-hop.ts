/**
 * The proxy hop on Node: one undici dispatch handler per request that writes the upstream's answer
 * straight into the Node response. It does what `Pool.stream` with an `AbortSignal` did, without
 * what those cost on every request (an AsyncResource, a writable-lifecycle watcher with three
 * listeners, an AbortController and its EventTarget listeners): the response's backpressure pauses
 * the upstream read, and a client that goes away aborts the upstream request through the
 * controller undici hands us.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { watchStalled } from '../http/stalled.js';

/** What the hop needs from the rest of the proxy step, per request. */
export interface HopCallbacks {
  /** The upstream's status and headers are in: write the head (`writeHead`) of the Node response. */
  head(statusCode: number, headers: Record<string, string | string[] | undefined>): void;
  /** The answer was streamed completely; `bytes` is the body length sent. */
  done(bytes: number): void;
  /** The hop failed; `clientGone` when the client closed the connection first. */
  failed(err: Error, clientGone: boolean): void;
}

/** Reason given to undici when the client went away (never shown to anyone). */
class ClientClosedError extends Error {
  override name = 'ClientClosedError';
}

/**
 * Streams one upstream answer into `outgoing`. Pass it to `pool.dispatch(options, hop)`.
 * @example pool.dispatch({ path, method, headers, body }, new NodeHop(outgoing, callbacks))
 */
export class NodeHop implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private clientGone = false;
  private settled = false;
  private bytes = 0;
  private readonly onClose = (): void => {
    if (this.settled || this.outgoing.writableFinished) return;
    this.clientGone = true;
    // Sent already, in a zone with maxConcurrent, and not yet answered: the upstream goes on
    // working on it whether or not the connection is cut, so the hop waits for the answer's head
    // (the work done), then cuts the transfer; the zone's slot is held until then. Aborting at
    // once freed the slot while the upstream still worked: clients that left just after dispatch
    // let the upstream see many times maxConcurrent.
    if (this.finishUpstream && this.controller && !this.answered) return;
    this.controller?.abort(new ClientClosedError('client closed the connection'));
  };
  private readonly onDrain = (): void => {
    this.controller?.resume();
  };

  /**
   * When the client goes away after the request was sent, wait for the upstream's answer to
   * begin before cutting it: the request holds a zone's slot (set before dispatch).
   */
  finishUpstream = false;
  /** The upstream's final answer has begun (its head is in). */
  private answered = false;
  /**
   * Cut the answer when its client has read none of it for this long while the hop waits for it
   * (http/stalled.ts); 0: never.
   */
  stallTimeoutMs = 0;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly outgoing: ServerResponse,
    private readonly callbacks: HopCallbacks,
  ) {
    outgoing.on('close', this.onClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Gone while the request waited for a connection: do not send it at all.
    if (this.clientGone || this.outgoing.destroyed) {
      this.clientGone = true;
      controller.abort(new ClientClosedError('client closed the connection'));
    }
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // An interim answer (102, 103 Early Hints): undici passes it here too; the final one follows.
    if (statusCode < 200) return;
    this.answered = true;
    if (this.clientGone) {
      // The client left while the upstream worked (finishUpstream): the work is done, cut the rest.
      controller.abort(new ClientClosedError('client closed the connection'));
      return;
    }
    this.callbacks.head(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    this.bytes += chunk.length;
    if (!this.outgoing.write(chunk)) {
      controller.pause();
      this.outgoing.once('drain', this.onDrain);
      // Paused for the client: a client that never reads on would hold the upstream connection
      // (undici's body timeout does not run while the read is paused).
      if (this.stallTimeoutMs > 0 && !this.unwatch)
        this.unwatch = watchStalled(this.outgoing, this.stallTimeoutMs);
    }
  }

  onResponseEnd(): void {
    if (this.clientGone) {
      this.settle();
      this.callbacks.failed(new ClientClosedError('client closed the connection'), true);
      return;
    }
    this.outgoing.end();
    this.settle();
    this.callbacks.done(this.bytes);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.settled) return;
    this.settle();
    this.callbacks.failed(err, this.clientGone);
  }

  private settle(): void {
    this.settled = true;
    this.unwatch?.();
    this.outgoing.off('close', this.onClose);
    this.outgoing.off('drain', this.onDrain);
  }
}
