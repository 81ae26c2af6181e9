/** `resultgate logs` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'logs',
  summary: '(not built yet)',
  help: 'Usage: resultgate logs — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate logs: not built yet\n');
    return 2;
  },
};
