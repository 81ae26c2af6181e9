#!/usr/bin/env -S node --max-semi-space-size=16
/**
 * `resultgate` — the gateway's command line. Each command lives in its own file and is loaded
 * only when called, so `resultgate check` does not start a server's worth of modules.
 *
 * The launch flag (the Dockerfile's ENTRYPOINT repeats it; a test keeps the two equal): V8 grows
 * its young generation up to 2 × 64 MB on a machine with this much memory, garbage a
 * request/response server never needs — under load the gateway's RSS was ~270 MB for ~35 MB live.
 * Capped at 2 × 16 MB it stays under 200 MB, with no measurable CPU cost in `npm run bench`
 * (8 MB did cost: more objects of the 50 in-flight requests survive each scavenge). V8 reads this
 * size only when the process starts, so it cannot be set from code.
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
