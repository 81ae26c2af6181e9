/**
 * The shape of a CLI command. Each command is one file in `cli/` and is given its streams, so
 * tests run it in-process with captured output.
 */
import type { CliIo } from '../io.js';

// The io type lives below cli/ and cluster/, which both take it (io.ts).
export type { CliIo };

/** One `resultgate` command. `run` resolves to the process exit code. */
export interface CliCommand {
  name: string;
  /** One line for `resultgate --help`. */
  summary: string;
  /** The full text of `resultgate <name> --help`. */
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/**
 * Exit codes, the same for every command: 0 ok; 1 the thing checked is bad or the change was
 * refused (invalid policy, broken chain, weak password); 2 usage error; 3 no such tenant or user;
 * 4 nothing found (an export with no lines, a tenant without users).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, empty: 4 } as const;

/** Prints `resultgate NAME: message` on stderr and returns `code`. */
export function fail(name: string, message: string, io: CliIo, code: number): number {
  io.stderr.write(`resultgate ${name}: ${message}\n`);
  return code;
}

/** The policy path from `--policy`, else `RESULTGATE_POLICY`, else `./policy.json`. */
export function policyPath(flag: string | undefined, io: CliIo): string {
  return flag ?? io.env.RESULTGATE_POLICY ?? 'policy.json';
}
