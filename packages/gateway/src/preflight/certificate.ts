/**
 * The HTTPS certificate and key, checked as a browser and `serve` will meet them: both parse, the
 * key is the certificate's, the certificate is in its validity period (an error once expired or
 * not yet valid, a warning under 30 days left) and covers every tenant host (a warning per host
 * it does not: that tenant's visitors would see a certificate error).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { formatPath } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { readNeeded } from './files.js';
import type { Findings } from './findings.js';

const DAY = 86_400_000;
/** A certificate with less than this left is a warning (Let's Encrypt renews at 30 days). */
export const CERT_WARN_DAYS = 30;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Adds the certificate and key findings to `out`.
 * @returns the parsed certificate (for the expiry gauge), or `undefined` when unusable
 */
export async function checkCertificate(
  policy: Policy,
  cwd: string,
  now: number,
  out: Findings,
): Promise<X509Certificate | undefined> {
  const { certFile, keyFile } = policy.server.https;
  const certBytes = await readNeeded(certFile, 'server.https.certFile', cwd, out);
  const keyBytes = await readNeeded(keyFile, 'server.https.keyFile', cwd, out);
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (certBytes) {
    try {
      cert = new X509Certificate(certBytes);
    } catch (err) {
      out.error(
        'server.https.certFile',
        `"${certFile}" is not a PEM certificate (${(err as Error).message})`,
      );
    }
  }
  if (keyBytes) {
    try {
      key = createPrivateKey(keyBytes);
    } catch (err) {
      out.error('server.https.keyFile', `"${keyFile}" is not a PEM private key (${(err as Error).message})`);
    }
  }
  if (!cert) return undefined;
  if (key && !cert.checkPrivateKey(key)) {
    out.error('server.https.keyFile', `"${keyFile}" is not the key of the certificate in "${certFile}"`);
  }
  const notAfter = Date.parse(cert.validTo);
  const notBefore = Date.parse(cert.validFrom);
  if (notAfter <= now) {
    out.error('server.https.certFile', `"${certFile}" expired on ${day(notAfter)}`);
  } else if (notBefore > now) {
    out.error('server.https.certFile', `"${certFile}" is not valid before ${day(notBefore)}`);
  } else if (notAfter - now < CERT_WARN_DAYS * DAY) {
    const left = Math.floor((notAfter - now) / DAY);
    out.warn('server.https.certFile', `"${certFile}" expires on ${day(notAfter)}, in ${left} days: renew it`);
  }
  for (const [id, tenant] of Object.entries(policy.tenants)) {
    tenant.hosts.forEach((host, i) => {
      const name = host.replace(/:\d+$/, '');
      const covered = /^\[.*\]$|^[\d.]+$/.test(name)
        ? cert.checkIP(name.replace(/^\[|\]$/g, '')) !== undefined
        : cert.checkHost(name) !== undefined;
      if (!covered) {
        out.warn(
          formatPath(['tenants', id, 'hosts', i]),
          `"${host}" is not covered by the certificate in "${certFile}" (it names ${certNames(cert)}): browsers will refuse it`,
        );
      }
    });
  }
  return cert;
}

/** The names a certificate is for, as a message shows them. */
function certNames(cert: X509Certificate): string {
  const alt = cert.subjectAltName?.split(', ').map((n) => n.replace(/^(DNS|IP Address):/, ''));
  if (alt && alt.length > 0) return alt.join(', ');
  return /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? 'no name';
}
