/**
 * The gateway package's version, read from its package.json: the nearest one above this file
 * named `@resultgate/gateway` (src/ in the workspace, dist/ once built and installed).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `resultgate --version` and the `resultgate_build_info` gauge: e.g. "0.1.0"; "unknown" when the
 * code runs bundled away from its package (the benchmark's callgrind build), so that a missing
 * version never stops a gateway from starting.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@resultgate/gateway' && pkg.version) return pkg.version;
    } catch {
      // No package.json here (or not JSON): keep going up.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
