import { writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_STALE_MS } from '../file-lock.js';
import { TEST_HASH, validPolicy } from '../testing/policy-fixture.js';
import { editPolicyFile } from './edit.js';
import { PolicyError } from './load.js';

let dir: string;
let file: string;
const text = `${JSON.stringify(validPolicy(), null, 2)}\n`;
const users = ['tenants', 'school-a', 'users'];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-edit-'));
  file = join(dir, 'policy.json');
  await writeFile(file, text);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('editPolicyFile', () => {
  it('changes only the edited property and returns the validated policy', async () => {
    const policy = await editPolicyFile(file, (doc) =>
      doc.set([...users, 'sato'], { passwordHash: TEST_HASH, roles: ['admin'] }),
    );
    expect(policy.tenants['school-a']!.users.sato!.roles).toEqual(['admin']);
    const after = await readFile(file, 'utf8');
    const expected = validPolicy();
    expected.tenants['school-a'].users.sato = { passwordHash: TEST_HASH, roles: ['admin'] };
    expect(after).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('never writes an invalid policy', async () => {
    const attempt = editPolicyFile(file, (doc) => doc.set([...users, 'sato'], { passwordHash: 'plain' }));
    await expect(attempt).rejects.toThrow(PolicyError);
    await expect(attempt).rejects.toThrow('tenants.school-a.users.sato.passwordHash: not a password hash');
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('refuses to start from an invalid file', async () => {
    await writeFile(file, '{"version": 1');
    await expect(editPolicyFile(file, () => {})).rejects.toThrow('1:14: not JSON');
  });

  it('replaces the file atomically, keeping its mode and leaving no temp file', async () => {
    await chmod(file, 0o640);
    const before = await stat(file);
    await editPolicyFile(file, (doc) => doc.remove([...users, 'admin']));
    const after = await stat(file);
    expect(after.ino).not.toBe(before.ino); // a new file was renamed over the old one
    expect(after.mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['policy.json']);
    expect(JSON.parse(await readFile(file, 'utf8')).tenants['school-a'].users).toEqual({});
  });

  it('edits the target of a symlink and keeps the link', async () => {
    const link = join(dir, 'current.json');
    await symlink(file, link);
    await editPolicyFile(link, (doc) => doc.remove([...users, 'admin']));
    expect((await readFile(file, 'utf8')).includes('"admin": {')).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['current.json', 'policy.json']);
  });

  it('does not overwrite a change saved by someone else meanwhile', async () => {
    const attempt = editPolicyFile(file, (doc) => {
      doc.remove([...users, 'admin']);
      // Another editor saves while our change is being made.
      const other = validPolicy();
      other.tenants['school-a'].name = 'edited by hand';
      writeFileSync(file, JSON.stringify(other, null, 2));
    });
    await expect(attempt).rejects.toThrow('changed while it was being edited');
    expect(await readFile(file, 'utf8')).toContain('"edited by hand"');
  });

  it('runs concurrent edits one at a time: every one of them is saved, none is refused', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `user${i}`);
    await Promise.all(
      names.map((name) =>
        editPolicyFile(file, (doc) => doc.set([...users, name], { passwordHash: TEST_HASH, roles: [] })),
      ),
    );
    const saved = JSON.parse(await readFile(file, 'utf8')).tenants['school-a'].users;
    expect(Object.keys(saved).sort()).toEqual(['admin', ...names].sort());
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('waits for an edit in another process (its lock file), and takes over a lock its editor left', async () => {
    const lock = `${file}.lock`;
    await writeFile(lock, '99999\n');
    const waiting = editPolicyFile(file, (doc) => doc.remove([...users, 'admin']));
    let done = false;
    void waiting.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(text);
    await rm(lock); // the other editor finishes
    await waiting;
    expect(JSON.parse(await readFile(file, 'utf8')).tenants['school-a'].users).toEqual({});

    // A lock older than any edit takes: its editor died; the next edit goes ahead.
    await writeFile(lock, '99999\n');
    const old = (Date.now() - LOCK_STALE_MS - 1000) / 1000;
    await utimes(lock, old, old);
    await editPolicyFile(file, (doc) => doc.set([...users, 'sato'], { passwordHash: TEST_HASH, roles: [] }));
    expect(JSON.parse(await readFile(file, 'utf8')).tenants['school-a'].users.sato).toBeDefined();
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('refuses a "__proto__" key (it would vanish from the parsed policy) and keeps the file', async () => {
    const before = await readFile(file, 'utf8');
    await expect(
      editPolicyFile(file, (doc) => doc.set([...users, '__proto__'], { passwordHash: TEST_HASH })),
    ).rejects.toThrow('tenants.school-a.users.__proto__: the key "__proto__" is not allowed');
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});
