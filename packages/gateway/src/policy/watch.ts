/**
 * Watches the policy file for changes. It watches the file's directory, not the file: editors and
 * `resultgate users` replace the file by renaming a new one over it, which a watch on the old
 * inode would never see. Bursts of events (write, chmod, rename) are debounced into one call.
 * A Kubernetes ConfigMap volume changes no file of that name: `policy.json` is a symlink into
 * `..data`, itself a symlink that the kubelet swaps by renaming a new one over it — so a change
 * of `..data` counts as a change of the policy too.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** The symlink a Kubernetes ConfigMap or Secret volume swaps on each update (its "atomic writer"). */
const KUBERNETES_DATA = '..data';

/** Options of {@link watchPolicy}. */
export interface WatchPolicyOptions {
  /** Quiet time after the last event before `onChange` runs. @default 100 */
  debounceMs?: number;
  /** Called when the directory cannot be watched any more (e.g. it was removed). */
  onError?: (err: Error) => void;
}

/**
 * Calls `onChange` (debounced) whenever the policy file is written, replaced, or created.
 * The caller reloads and validates; an invalid file must leave the old policy serving.
 * @param file the policy file
 * @param onChange called after a burst of changes has settled
 * @returns a function that stops watching
 * @example const stop = watchPolicy('policy.json', () => void reload())
 */
export function watchPolicy(
  file: string,
  onChange: () => void,
  options: WatchPolicyOptions = {},
): () => void {
  const { debounceMs = 100, onError } = options;
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const fire = () => {
    timer = undefined;
    if (!closed) onChange();
  };
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
    // Some platforms omit the name; then any change in the directory may be ours.
    if (changed !== null && changed.toString() !== name && changed.toString() !== KUBERNETES_DATA) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  });
  watcher.on('error', (err) => onError?.(err));

  return function stopWatchingPolicy() {
    closed = true;
    if (timer) clearTimeout(timer);
    watcher.close();
  };
}
