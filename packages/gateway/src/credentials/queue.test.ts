import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('KeyedQueue', () => {
  it('runs tasks sharing a key one after another, others in parallel, and forgets idle keys', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name}+`);
      await tick();
      log.push(`${name}-`);
      return name;
    };
    const results = await Promise.all([
      queue.run(['user\0a', 'ip\0x'], task('1')),
      queue.run(['user\0a', 'ip\0y'], task('2')), // waits for 1 (same user)
      queue.run(['user\0b', 'ip\0z'], task('3')), // independent: runs at once
      queue.run(['user\0c', 'ip\0y'], task('4')), // waits for 2 (same address)
    ]);
    expect(results).toEqual(['1', '2', '3', '4']);
    expect(log.indexOf('2+')).toBeGreaterThan(log.indexOf('1-'));
    expect(log.indexOf('4+')).toBeGreaterThan(log.indexOf('2-'));
    expect(log.indexOf('3+')).toBeLessThan(log.indexOf('1-'));
    await tick();
    expect(queue.size).toBe(0);
  });

  it('keeps going after a task fails', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run(['k'], async () => {
      throw new Error('boom');
    });
    const next = queue.run(['k'], async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
  });
});
