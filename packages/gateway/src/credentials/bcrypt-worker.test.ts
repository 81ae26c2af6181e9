import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BcryptWorker } from './bcrypt-worker.js';

describe('BcryptWorker', () => {
  it('answers whether a password matches a bcrypt hash, and false for a hash bcryptjs rejects', async () => {
    const worker = new BcryptWorker();
    try {
      const hash = bcrypt.hashSync('Correct-Horse-1', 4);
      expect(await worker.compare('Correct-Horse-1', hash)).toBe(true);
      expect(await worker.compare('correct-horse-1', hash)).toBe(false);
      expect(await worker.compare('Correct-Horse-1', `${hash.slice(0, 7)}!!${hash.slice(9)}`)).toBe(false);
      // Many at once: each answer reaches its own caller.
      const answers = await Promise.all(
        ['Correct-Horse-1', 'x', 'Correct-Horse-1', 'y'].map((p) => worker.compare(p, hash)),
      );
      expect(answers).toEqual([true, false, true, false]);
    } finally {
      await worker.close();
    }
  });

  it('leaves the event loop free while a check runs (bcryptjs alone holds it 100 ms at a time)', async () => {
    const worker = new BcryptWorker();
    const hash = bcrypt.hashSync('Correct-Horse-1', 12); // a few hundred ms of JavaScript
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    try {
      const started = performance.now();
      expect(await worker.compare('wrong', hash)).toBe(false);
      const elapsed = performance.now() - started;
      // On the event loop the ticker would get one turn per 100 ms chunk; here it gets one at
      // least every 25 ms on average even on a loaded machine.
      expect(elapsed).toBeGreaterThan(100);
      expect(turns).toBeGreaterThan((4 * elapsed) / 100);
    } finally {
      clearInterval(ticker);
      await worker.close();
    }
  });

  it('starts a new thread after the worker was stopped', async () => {
    const worker = new BcryptWorker();
    try {
      const hash = bcrypt.hashSync('p', 4);
      expect(await worker.compare('p', hash)).toBe(true);
      await worker.close();
      expect(await worker.compare('p', hash)).toBe(true);
    } finally {
      await worker.close();
    }
  });
});
