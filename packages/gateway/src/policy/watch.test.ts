import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
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

  it('sees a Kubernetes ConfigMap update (the ..data symlink swapped, policy.json untouched)', async () => {
    // The kubelet's layout: policy.json -> ..data/policy.json, ..data -> ..<timestamp>/.
    const k8s = join(dir, 'configmap');
    await mkdir(join(k8s, '..v1'), { recursive: true });
    await writeFile(join(k8s, '..v1', 'policy.json'), '{"v":1}');
    await symlink('..v1', join(k8s, '..data'));
    await symlink('..data/policy.json', join(k8s, 'policy.json'));
    const counter = { calls: 0 };
    stops.push(watchPolicy(join(k8s, 'policy.json'), () => counter.calls++, { debounceMs: 30 }));
    // An update: a new timestamped folder, a new symlink renamed over ..data, the old folder removed.
    await mkdir(join(k8s, '..v2'));
    await writeFile(join(k8s, '..v2', 'policy.json'), '{"v":2}');
    await symlink('..v2', join(k8s, '..data_tmp'));
    await rename(join(k8s, '..data_tmp'), join(k8s, '..data'));
    await rm(join(k8s, '..v1'), { recursive: true });
    await until(() => counter.calls >= 1);
    expect(counter.calls).toBe(1);
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
