/** `result-service keys status|rotate`: the keyring and master-key rotation. */
import { existsSync, renameSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createKeyFile, masterKeyId, readKeyFile } from '../crypto/master-key.js';
import { updateDataStatus } from '../data-status.js';
import {
  type CliIo,
  COMMON_HELP,
  COMMON_OPTIONS,
  EXIT,
  fail,
  openKeyring,
  parseCommand,
  usage,
  where,
} from './io.js';

export const KEYS_HELP = `Usage: result-service keys status|rotate [--new-key-file FILE] [options]

  keys status   the master key's id, the tenants with a key, the keys destroyed by purges
  keys rotate   re-wraps every tenant key with a new master key; no row is re-encrypted (rows
                are sealed with the tenant keys, which do not change).
                Master key in a file (the default): a new key is written to <file>.next, the
                keyring is re-wrapped, then <file>.next replaces <file>. Were it interrupted in
                between, <file>.next holds the key the keyring needs: move it over <file>.
                Master key in $RESULTS_MASTER_KEY: give --new-key-file FILE (created with a fresh
                key when missing); put its key in $RESULTS_MASTER_KEY and restart the service.
                A running service with a key file picks the new key up by itself.

${COMMON_HELP}`;

const OPTIONS = { ...COMMON_OPTIONS, 'new-key-file': { type: 'string' } } as const;

/** Runs `keys status|rotate`. */
export async function keysCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(io, 'keys', KEYS_HELP, OPTIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const [sub, ...extra] = parsed.positionals;
  if (extra.length > 0 || (sub !== 'status' && sub !== 'rotate'))
    return usage(io, 'keys', 'status or rotate?');
  const w = where(parsed.values, io);
  const show = (p: string) => relative(io.cwd, p) || p;
  try {
    const keyring = openKeyring(w, io);
    if (sub === 'status') {
      const info = keyring.info();
      io.stdout.write(
        `keyring ${show(w.keyringFile)}: master key ${info.masterKeyId}, rotated ${info.rotatedAt ?? 'never'}\n`,
      );
      io.stdout.write(`  tenant keys: ${keyring.tenants().join(', ') || 'none'}\n`);
      for (const d of keyring.destroyed())
        io.stdout.write(`  destroyed: ${d.tenant} key ${d.keyId} at ${d.destroyedAt}\n`);
      return EXIT.ok;
    }
    const fromEnv = Boolean(io.env.RESULTS_MASTER_KEY);
    const newFile = parsed.values['new-key-file'];
    if (fromEnv && !newFile)
      return usage(io, 'keys', 'the master key is in $RESULTS_MASTER_KEY: give --new-key-file FILE');
    const target = newFile ? resolve(io.cwd, newFile) : `${w.masterKeyFile}.next`;
    const next = existsSync(target) ? readKeyFile(target) : createKeyFile(target);
    const before = keyring.info().masterKeyId;
    if (masterKeyId(next) === before) return fail(io, 'keys', `${show(target)} holds the current master key`);
    const n = keyring.rotateMaster(next);
    if (!newFile) renameSync(target, w.masterKeyFile);
    const info = keyring.info();
    updateDataStatus(
      w.statusFile,
      (s) => {
        if (s.encryption)
          Object.assign(s.encryption, { masterKeyId: info.masterKeyId, rotatedAt: info.rotatedAt });
      },
      io.now,
    );
    io.stdout.write(
      `master key rotated: ${before} → ${info.masterKeyId}; ${n} tenant key(s) re-wrapped, no row re-encrypted\n`,
    );
    io.stdout.write(
      newFile
        ? `  the new key is in ${show(target)}: set RESULTS_MASTER_KEY (or RESULTS_MASTER_KEY_FILE) to it and restart the service\n`
        : `  the new key is in ${show(w.masterKeyFile)}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return fail(io, 'keys', err);
  }
}
