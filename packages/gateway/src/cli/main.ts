#!/usr/bin/env node
/**
 * `resultgate` — the gateway's command line. Each command lives in its own file and is loaded
 * only when called, so `resultgate check` does not start a server's worth of modules.
 */
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
  const lines = ['Usage: resultgate <command> [options]', '', 'Commands:'];
  for (const load of Object.values(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${command.name.padEnd(15)} ${command.summary}`);
  }
  lines.push('', "Run `resultgate <command> --help` for a command's options.");
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

const isEntry =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isEntry) {
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
