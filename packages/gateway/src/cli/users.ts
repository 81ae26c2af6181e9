/** `resultgate users` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'users',
  summary: '(not built yet)',
  help: 'Usage: resultgate users — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate users: not built yet\n');
    return 2;
  },
};
