import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './edit.js';
import { watchPolicy } from './watch.js';

let dir: string;
let file: string;
const stops: (() => void)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-watch-'));
  file = join(dir, 'policy.json');
  await writeFile(file, '{}');
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await rm(dir, { recursive: true, force: true });
});

/** Watches `file`, returning a counter of onChange calls. */
function counted(debounceMs = 100): { calls: number } {
  const counter = { calls: 0 };
  stops.push(watchPolicy(file, () => counter.calls++, { debounceMs }));
  return counter;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ready()` or 3 s, checking every 20 ms. */
async function until(ready: () => boolean): Promise<void> {
  for (let waited = 0; !ready() && waited < 3000; waited += 20) await sleep(20);
}

describe('watchPolicy', () => {
  it('calls back once for a burst of writes', async () => {
    const counter = counted();
    await writeFile(file, '{"a":1}');
    await writeFile(file, '{"a":2}');
    await writeFile(file, '{"a":3}');
    await until(() => counter.calls > 0);
    await sleep(250);
    expect(counter.calls).toBe(1);
  });

  it('sees the file replaced by an atomic rename, again and again', async () => {
    const counter = counted(30);
    await writeFileAtomic(file, '{"b":1}');
    await until(() => counter.calls >= 1);
    await writeFileAtomic(file, '{"b":2}');
    await until(() => counter.calls >= 2);
    expect(counter.calls).toBe(2);
  });

  it('ignores other files in the directory', async () => {
    const counter = counted(30);
    await writeFile(join(dir, 'other.json'), '{}');
    await sleep(200);
    expect(counter.calls).toBe(0);
  });

  it('stops calling back once stopped', async () => {
    const counter = counted(30);
    stops.pop()!();
    await writeFile(file, '{"c":1}');
    await sleep(200);
    expect(counter.calls).toBe(0);
  });
});
