/**
 * bcrypt off the event loop. bcryptjs computes in JavaScript and, even through its async API,
 * holds the thread for up to 100 ms at a stretch (a cost-10 check here: one 98 ms stall) — so one
 * client guessing at an imported bcrypt user would stall every tenant's requests. The check runs
 * in one worker thread instead, started on first use and kept only while checks are pending.
 *
 * The worker's code is a few lines of CommonJS given to `new Worker(…, { eval: true })`, with
 * bcryptjs's path resolved here: the same code then works from the sources, the published bundle,
 * the bench's bundle and the container, without a separate file to ship.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(password, hash);
  } catch {
    ok = false;
  }
  parentPort.postMessage({ id, ok });
});
`;

interface Pending {
  resolve(ok: boolean): void;
  reject(err: Error): void;
}

/** One worker thread that checks passwords against bcrypt hashes, in order. */
export class BcryptWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /**
   * Checks `password` against a bcrypt `hash` in the worker.
   * @returns true when it matches; false for a wrong password or a hash bcryptjs rejects
   * @throws {Error} when the worker thread cannot run (it is started again on the next check)
   */
  compare(password: string, hash: string): Promise<boolean> {
    const worker = this.running();
    const id = ++this.nextId;
    return new Promise<boolean>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending check keeps the process alive; an idle worker does not.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, password, hash });
    });
  }

  /** Stops the worker (pending checks fail). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const bcryptjs = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs } });
    worker.unref();
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(ok === true);
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the bcrypt worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** The process's bcrypt worker. */
export const bcryptWorker = new BcryptWorker();
