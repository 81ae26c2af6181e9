/**
 * `result-service` — the result service's command line: backups, restores, keys, purges. Run it
 * with `npm run result-service -- <command>` from the repository, next to a stopped or running
 * service (every command is safe beside a running one, except `restore FILE`, which refuses).
 */
import { BACKUP_HELP, backupCommand, RESTORE_HELP, restoreCommand } from './backup.js';
import { type CliIo, EXIT } from './io.js';
import { KEYS_HELP, keysCommand } from './keys.js';
import { PURGE_HELP, purgeCommand } from './purge.js';

const COMMANDS: Record<
  string,
  { summary: string; help: string; run: (argv: string[], io: CliIo) => Promise<number> }
> = {
  backup: {
    summary: 'backup now | backup list: online backups with manifests',
    help: BACKUP_HELP,
    run: backupCommand,
  },
  restore: { summary: 'restore --verify FILE | restore FILE --yes', help: RESTORE_HELP, run: restoreCommand },
  keys: {
    summary: 'keys status | keys rotate: the keyring and master-key rotation',
    help: KEYS_HELP,
    run: keysCommand,
  },
  purge: {
    summary: 'purge TENANT --yes: destroy a tenant key, delete its rows and files',
    help: PURGE_HELP,
    run: purgeCommand,
  },
};

const USAGE = `Usage: result-service <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Run \`result-service <command> --help\` for a command's options.
`;

/**
 * Runs the CLI; resolves to the exit code.
 * @example process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() })
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`result-service: unknown command "${name}"\n${USAGE}`);
    return EXIT.usage;
  }
  return command.run(rest, io);
}
