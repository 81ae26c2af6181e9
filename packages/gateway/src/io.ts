/**
 * The streams and environment a command runs with: given to every CLI command (cli/) and to the
 * cluster's primary (cluster/), so tests run them in-process with captured output.
 */
import type { Readable, Writable } from 'node:stream';

/** The streams and environment a command runs with. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
