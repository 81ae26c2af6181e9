/** `resultgate hash-password` — placeholder until its issue lands; replaced by the real command. */
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  name: 'hash-password',
  summary: '(not built yet)',
  help: 'Usage: resultgate hash-password — not built yet.',
  async run(_argv, io) {
    io.stderr.write('resultgate hash-password: not built yet\n');
    return 2;
  },
};
