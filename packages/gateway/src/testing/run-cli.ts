/**
 * Test-only: runs a command's `main` in-process with captured output, for the CLI unit tests.
 * `main` is an argument so that testing/ does not import cli/ (docs/architecture.md). Not exported
 * from the package.
 */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../io.js';

/** What a command run left: its exit code and everything it wrote. */
export interface CliRunResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `main(argv)` in `cwd` with an empty environment and `input` on stdin.
 * @param main the CLI's entry (`cli/main.ts`)
 */
export async function runCliInProcess(
  main: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  cwd: string,
  input = '',
): Promise<CliRunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await main(argv, { stdin, stdout, stderr, env: {}, cwd });
  return { code, out, err };
}
