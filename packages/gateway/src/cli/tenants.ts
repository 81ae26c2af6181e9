/** `resultgate tenants` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'tenants',
  summary: '(not built yet)',
  help: 'Usage: resultgate tenants — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate tenants: not built yet\n');
    return 2;
  },
};
