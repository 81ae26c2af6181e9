/** `resultgate report` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'report',
  summary: '(not built yet)',
  help: 'Usage: resultgate report — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate report: not built yet\n');
    return 2;
  },
};
