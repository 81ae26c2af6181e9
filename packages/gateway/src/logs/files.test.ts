import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppendFiles, appendText } from './files.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-files-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('AppendFiles', () => {
  it('never closes a handle under a write in progress (the sweeper once did: EBADF)', async () => {
    // A handle older than 1 ms is due for closing while the 32 MB writes are still going on.
    const files = new AppendFiles(1);
    const file = join(root, 't', 'access-2026-12-06.jsonl');
    const chunk = `${'x'.repeat(1023)}\n`.repeat(32 * 1024);
    try {
      for (let i = 0; i < 3; i++) await files.append(file, chunk);
    } finally {
      await files.close();
    }
    expect((await stat(file)).size).toBe(3 * chunk.length);
  });
});

describe('appendText', () => {
  it('appends, creating the directory', async () => {
    const file = join(root, 'a', 'audit-2026-12-06.jsonl');
    await appendText(file, 'one\n');
    await appendText(file, 'two\n');
    expect(await readFile(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('ends a fragment left by a failed append before the next line', async () => {
    // A file where the directory should be makes the append fail; the fragment is written by hand
    // as a full disk would have left it.
    const dir = join(root, 'b');
    await writeFile(dir, 'not a directory');
    const file = join(dir, 'audit-2026-12-06.jsonl');
    await expect(appendText(file, '{"a":1}\n')).rejects.toThrow();
    await rm(dir);
    await appendText(join(root, 'c.jsonl'), 'x'); // another file is not affected
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    await writeFile(file, '{"torn":');
    await appendText(file, '{"b":2}\n');
    expect(await readFile(file, 'utf8')).toBe('{"torn":\n{"b":2}\n');
    expect(await readFile(join(root, 'c.jsonl'), 'utf8')).toBe('x');
  });
});
