/**
 * `resultgate` — the gateway's command line. Each command lives in its own file and is loaded
 * only when called, so `resultgate check` does not start a server's worth of modules.
 *
 * The installed command starts at `bin.ts` (dist/cli.js), which checks the Node version before
 * loading this file; in the workspace (`npm run resultgate`, the tests) this file runs itself.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../version.js';
import type { CliCommand, CliIo } from './command.js';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  serve: () => import('./serve.js'),
  check: () => import('./check.js'),
  'hash-password': () => import('./hash-password.js'),
  users: () => import('./users.js'),
  logs: () => import('./logs.js'),
  report: () => import('./report.js'),
  tenants: () => import('./tenants.js'),
};

async function usage(io: CliIo): Promise<string> {
  const lines = ['Usage: resultgate <command> [options]  |  resultgate --version', '', 'Commands:'];
  for (const load of Object.values(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${command.name.padEnd(15)} ${command.summary}`);
  }
  lines.push('', "Run `resultgate <command> --help` for a command's options and exit codes.");
  lines.push(
    'Exit codes: 0 ok, 1 failed or refused, 2 usage error, 3 no such tenant or user, 4 nothing found.',
  );
  lines.push('resultgate --version prints the version.');
  lines.push(`Policy file: --policy FILE, else $RESULTGATE_POLICY, else ./policy.json (here: ${io.cwd}).`);
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI with the given arguments and streams; resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(await usage(io));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`resultgate: unknown command "${name}"\n\n${await usage(io)}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help.trimEnd()}\n`);
    return 0;
  }
  return command.run(rest, io);
}

/** Runs the CLI on this process's arguments and streams, setting its exit code. */
export function runCli(): void {
  const io: CliIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      // `serve` keeps running; it resolves only when the server has closed.
      process.exitCode = code;
    },
    (err: unknown) => {
      io.stderr.write(`resultgate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Whether this file is the one Node was started with. Compared as real paths: started through
 * a symlink (npm's `node_modules/.bin/resultgate`, npx) the name in argv[1] is not this file's.
 */
function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) runCli();
