/** `resultgate serve` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'serve',
  summary: '(not built yet)',
  help: 'Usage: resultgate serve — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate serve: not built yet\n');
    return 2;
  },
};
