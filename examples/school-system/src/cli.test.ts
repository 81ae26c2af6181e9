import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('school-system CLI', () => {
  it('prints its --help and exits 0 without contacting anything', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', main, '--help'],
      {
        timeout: 30_000,
      },
    );
    expect(stdout).toMatch(/^school-system — /);
    expect(stdout).toContain('--base-url URL');
    expect(stdout).toContain('-h, --help');
  });
});
