/**
 * `resultgate hash-password [--tenant T] [--policy FILE]` — reads a password on stdin (one line, so
 * `printf '%s\n' "$PW" | resultgate hash-password` works; on a terminal it asks without echo) and
 * prints its `scrypt$…` hash for the policy file, refusing a password that breaks the tenant's
 * password policy.
 */

import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ReadStream } from 'node:tty';
import { parseArgs } from 'node:util';
import { hashPassword, passwordProblems } from '../credentials/password.js';
import { loadPolicyFile } from '../policy/load.js';
import { DEFAULT_PASSWORD_POLICY } from '../policy/schema.js';
import { type CliCommand, type CliIo, EXIT, fail, policyPath } from './command.js';

/** A usage error: the command prints it with a hint and exits 2. */
export class UsageError extends Error {}

/** The first line of stdin, without its line break; `undefined` at end of input. */
function readLine(io: CliIo): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
    let line: string | undefined;
    rl.once('line', (l) => {
      line = l;
      rl.close();
    });
    rl.once('close', () => resolve(line));
  });
}

/** Reads a line on a terminal without echoing it. */
function readHidden(tty: ReadStream, io: CliIo, prompt: string): Promise<string | undefined> {
  io.stderr.write(prompt);
  return new Promise((resolve) => {
    let value = '';
    const done = (result: string | undefined) => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      io.stderr.write('\n');
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\x03' || ch === '\x04') return done(undefined); // Ctrl-C, Ctrl-D
        if (ch === '\x7f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    tty.setRawMode(true);
    tty.resume();
    tty.on('data', onData);
  });
}

/**
 * Reads a new password: the first line of stdin, or on a terminal a hidden prompt asked twice.
 * @throws {UsageError} when there is no password or the two entries differ
 */
export async function readNewPassword(io: CliIo): Promise<string> {
  const tty = io.stdin as ReadStream;
  let password: string | undefined;
  if (tty.isTTY && typeof tty.setRawMode === 'function') {
    password = await readHidden(tty, io, 'New password: ');
    if (password && (await readHidden(tty, io, 'Again: ')) !== password) {
      throw new UsageError('the two passwords differ');
    }
  } else password = await readLine(io);
  if (!password) throw new UsageError('no password on stdin (one line)');
  return password;
}

/**
 * Checks a new password against a tenant's policy (or the default policy when `tenant` is
 * undefined), writing the reasons to stderr. @returns true when the password may be used
 */
export function acceptablePassword(
  password: string,
  policy: { minLength: number; minClasses: number },
  who: string,
  io: CliIo,
): boolean {
  const problems = passwordProblems(password, policy);
  if (problems.length === 0) return true;
  io.stderr.write(`refused: the password breaks ${who}:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
  return false;
}

/** Prints `resultgate NAME: message` and the --help hint; the usage exit code. */
export function usageFailure(name: string, message: string, io: CliIo): number {
  io.stderr.write(`resultgate ${name}: ${message}\nRun \`resultgate ${name} --help\` for usage.\n`);
  return EXIT.usage;
}

const HELP = `Usage: resultgate hash-password [--tenant T] [--policy FILE]

Reads a password from stdin (the first line; on a terminal it asks twice without echo) and prints
its scrypt hash (scrypt$N$r$p$salt$hash) for a user's "passwordHash" in the policy file.

The password must meet the password policy of tenant T (--tenant), or, without --tenant, the
default policy (${DEFAULT_PASSWORD_POLICY.minLength} characters, ${DEFAULT_PASSWORD_POLICY.minClasses} of: lower, upper, digit, symbol).
A refused password exits 1 and lists the reasons.

Options:
  --tenant T       check against this tenant's passwordPolicy
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  -h, --help       this text

Exit codes:
  0  the hash was printed
  1  the password breaks the password policy (the reasons are printed); the policy is invalid
  2  usage error, or no password on stdin
  3  no such tenant (--tenant)

Example:
  printf '%s\\n' "$NEW_PASSWORD" | resultgate hash-password --tenant school-a
  (or use \`resultgate users add\`, which hashes and edits the policy in one step)
`;

export const command: CliCommand = {
  name: 'hash-password',
  summary: 'hash a password from stdin for the policy file (checked against the password policy)',
  help: HELP,
  async run(argv, io) {
    let values: { tenant?: string; policy?: string };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { tenant: { type: 'string' }, policy: { type: 'string' } },
        strict: true,
      }));
    } catch (err) {
      return usageFailure('hash-password', (err as Error).message, io);
    }
    let policy: { minLength: number; minClasses: number } = DEFAULT_PASSWORD_POLICY;
    let who = 'the default password policy';
    if (values.tenant !== undefined) {
      const file = policyPath(values.policy, io);
      const tenant = (await loadPolicyFile(resolve(io.cwd, file))).tenants[values.tenant];
      if (!tenant) return fail('hash-password', `no tenant "${values.tenant}" in ${file}`, io, EXIT.notFound);
      policy = tenant.passwordPolicy;
      who = `the password policy of tenant ${values.tenant}`;
    }
    let password: string;
    try {
      password = await readNewPassword(io);
    } catch (err) {
      if (err instanceof UsageError) return usageFailure('hash-password', err.message, io);
      throw err;
    }
    if (!acceptablePassword(password, policy, who, io)) return EXIT.failed;
    io.stdout.write(`${await hashPassword(password)}\n`);
    return EXIT.ok;
  },
};
