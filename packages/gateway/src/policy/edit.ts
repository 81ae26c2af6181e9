/**
 * Changes a policy file safely: the edit touches only the changed property's text, the result must
 * validate before anything is written, and the new file replaces the old one atomically (temp
 * file in the same directory, fsync, rename), so a running gateway's watcher never reads half a
 * file and an invalid policy is never written.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { withFileLock } from '../file-lock.js';
import { removeJsonProperty, setJsonProperty } from './json-text.js';
import { parsePolicy, parsePolicyJson, readPolicyText } from './load.js';
import type { Policy } from './schema.js';

/** A policy file being edited: its text and parsed value change together. */
export interface PolicyDocument {
  /** The parsed file as written (not the validated policy: no defaults filled in). */
  readonly value: Record<string, unknown>;
  /** Sets `path[last]` inside the object at `path[..last]`, adding the property if absent. */
  set(path: readonly string[], value: unknown): void;
  /** Removes the property at `path`. */
  remove(path: readonly string[]): void;
}

/** Writes `text` to `file` atomically: same-directory temp file, fsync, rename, fsync the directory. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = (await stat(file).catch(() => undefined))?.mode ?? 0o600;
  const handle = await open(tmp, 'wx', mode & 0o777);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode & 0o777); // open()'s mode is masked by the umask
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const dirHandle = await open(dir, 'r');
  await dirHandle.sync().catch(() => undefined);
  await dirHandle.close();
}

function getIn(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Applies `change` to a policy file and writes it back if, and only if, the result is a valid
 * policy. Formatting, key order and every untouched line are kept. Edits of one file run one at a
 * time, across processes (`<file>.lock` beside it, while the edit runs).
 * @param file the policy file (a symlink is followed; the target is replaced)
 * @param change edits the document; may throw to abort without writing
 * @param options.waitMs how long to wait for another edit of the file (default 10 s)
 * @returns the new, validated policy
 * @throws {PolicyError} when the file is invalid before or after the change (nothing is written)
 * @throws {FileLockBusyError} when another edit held the file for all of `waitMs`
 * @example await editPolicyFile('policy.json', (doc) => doc.remove(['tenants', 'a', 'users', 'bob']))
 */
export async function editPolicyFile(
  file: string,
  change: (doc: PolicyDocument) => void,
  { waitMs = EDIT_WAIT_MS }: { waitMs?: number } = {},
): Promise<Policy> {
  const target = await realpath(file).catch(() => file);
  return withFileLock(`${target}.lock`, () => editLocked(file, target, change), { waitMs });
}

/**
 * Edits of one policy file — `resultgate users`, `users import`, `tenants purge`, each process's
 * upgrade on sign-in — take turns through `<file>.lock` (file-lock.ts): without it two edits
 * could both pass the "changed meanwhile" check below before either renamed its file, and the
 * later rename would drop the earlier edit unseen. An edit waits 10 s for another, then fails.
 */
const EDIT_WAIT_MS = 10_000;

async function editLocked(
  file: string,
  target: string,
  change: (doc: PolicyDocument) => void,
): Promise<Policy> {
  const original = await readPolicyText(target);
  let text = original;
  const value = parsePolicyJson(text, file) as Record<string, unknown>;
  parsePolicy(value, file);

  const doc: PolicyDocument = {
    value,
    set(path, v) {
      const parent = path.slice(0, -1);
      const key = path.at(-1)!;
      text = setJsonProperty(text, parent, key, v);
      // defineProperty, so that a key such as "__proto__" is data, as JSON.parse makes it.
      Object.defineProperty(getIn(value, parent), key, {
        value: structuredClone(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    },
    remove(path) {
      const parent = path.slice(0, -1);
      const key = path.at(-1)!;
      text = removeJsonProperty(text, parent, key);
      delete (getIn(value, parent) as Record<string, unknown>)[key];
    },
  };
  change(doc);

  // The text edit and the object edit must agree, or the text edit went wrong: write nothing.
  if (!isDeepStrictEqual(JSON.parse(text.replace(/^\uFEFF/, '')), value)) {
    throw new Error(`could not edit ${file} in place (unusual layout?); nothing was written`);
  }
  const policy = parsePolicy(value, file);
  // Refuse to overwrite a change someone else saved while we were editing.
  if ((await readFile(target, 'utf8')) !== original) {
    throw new Error(`${file} changed while it was being edited; nothing was written, try again`);
  }
  await writeFileAtomic(target, text);
  return policy;
}
