/** `resultgate check` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'check',
  summary: '(not built yet)',
  help: 'Usage: resultgate check — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate check: not built yet\n');
    return 2;
  },
};
