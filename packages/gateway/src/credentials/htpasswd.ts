/**
 * Reads an Apache/nginx `htpasswd` file: one `user:hash` a line, `#` comments and blank lines
 * skipped. Only the formats the gateway can verify are taken (bcrypt, `$apr1$`); every other line
 * is a problem naming its line number — never its hash or, for a plain-text entry, its password.
 */
import { USER_NAME } from '../policy/schema.js';
import { type LegacyHashKind, legacyHashKind } from './legacy-hash.js';

/** One usable entry of an htpasswd file. */
export interface HtpasswdEntry {
  line: number;
  user: string;
  hash: string;
  kind: LegacyHashKind;
}

/** The entries of an htpasswd file, and one message per line that cannot be imported. */
export interface HtpasswdFile {
  entries: HtpasswdEntry[];
  problems: string[];
}

/** What a hash that is not bcrypt or `$apr1$` most likely is, for the message. */
function describe(hash: string): string {
  if (hash.startsWith('{SHA}')) return '{SHA} (htpasswd -s: unsalted SHA-1)';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt ($5$/$6$, htpasswd -2/-5)';
  if (hash.startsWith('$1$')) return 'MD5-crypt ($1$)';
  if (hash.startsWith('$2')) return 'a malformed bcrypt hash';
  if (hash.startsWith('$apr1$')) return 'a malformed $apr1$ hash';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'DES crypt (htpasswd -d)';
  return 'not a hash (plain text?)';
}

/**
 * Parses htpasswd text.
 * @example parseHtpasswd('sato:$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0\n').entries[0].user // 'sato'
 */
export function parseHtpasswd(text: string): HtpasswdFile {
  const entries: HtpasswdEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    if (colon <= 0) {
      problems.push(`line ${line}: not user:hash`);
      return;
    }
    const user = trimmed.slice(0, colon);
    // htpasswd files written by Apache tools may have more fields after the hash (user:hash:comment).
    const hash = trimmed.slice(colon + 1).split(':')[0]!;
    if (!USER_NAME.test(user)) {
      problems.push(`line ${line}: user name ${JSON.stringify(user)} has spaces or control characters`);
      return;
    }
    if (seen.has(user)) {
      problems.push(`line ${line}: ${user} appears twice`);
      return;
    }
    seen.add(user);
    const kind = legacyHashKind(hash);
    if (!kind) {
      problems.push(
        `line ${line}: ${user}: ${describe(hash)} cannot be verified; only bcrypt ($2y$, htpasswd -B) and $apr1$ (htpasswd -m) can`,
      );
      return;
    }
    entries.push({ line, user, hash, kind });
  });
  return { entries, problems };
}
