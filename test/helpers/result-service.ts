/**
 * The reference result service as the end-to-end tests start it: a fresh temporary directory for
 * its database and outbox, a random identity secret (give the same one to the gateway), port 0.
 * `close()` stops the service and deletes the directory; call it in `afterAll`/`finally`.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ResultServiceOptions,
  type RunningResultService,
  startResultService,
} from '@resultgate/example-result-service';

export interface TestResultService {
  service: RunningResultService;
  /** The directory of its database (`results.db`) and outbox (`outbox/`). */
  dir: string;
  /** The secret the gateway signs identities with; pass it as `deps.identitySecret`. */
  identitySecret: Uint8Array;
  /** Stops the service, then removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts the result service in a new directory under the system's temp folder.
 * @param prefix the directory's name prefix (says which test left it, should one remain)
 * @param options the service's other options (`schedulerIntervalMs`: 0 turns the scheduler off)
 */
export async function startTestResultService(
  prefix: string,
  options: Omit<ResultServiceOptions, 'port' | 'dbFile' | 'outboxDir' | 'identitySecret'>,
): Promise<TestResultService> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const identitySecret = new Uint8Array(randomBytes(32));
  try {
    const service = await startResultService({
      port: 0,
      dbFile: join(dir, 'results.db'),
      outboxDir: join(dir, 'outbox'),
      identitySecret,
      ...options,
    });
    return {
      service,
      dir,
      identitySecret,
      async close() {
        await service.close();
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}
