/**
 * The Node flags the gateway is launched with, read from the CLI's shebang (`src/cli/bin.ts`,
 * which says why) — the one place they are written. The Dockerfile repeats them (a test keeps the
 * two equal) and the benchmark starts its gateway targets with them, so what is measured is what
 * ships.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./bin.ts', import.meta.url));

/**
 * The flags of `#!/usr/bin/env -S node <flags>` at the top of the CLI's source.
 * @example spawn(process.execPath, [...launchFlags(), 'dist/cli.js', 'serve'])
 */
export function launchFlags(): string[] {
  const first = readFileSync(MAIN, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`${MAIN}: unexpected shebang ${JSON.stringify(first)}`);
  return m[1]!.split(' ').filter(Boolean);
}
