/**
 * A development certificate for `*.localhost`, `localhost`, `127.0.0.1` and `::1` (selfsigned,
 * EC P-256: generated in milliseconds). For `npm start` and the end-to-end tests — never production.
 */
import { generate } from 'selfsigned';

/** A PEM certificate and its private key. */
export interface DevCertificate {
  cert: string;
  key: string;
}

/**
 * Generates a self-signed certificate valid for one year.
 * @example const { cert, key } = await devCertificate()
 */
export async function devCertificate(): Promise<DevCertificate> {
  const pems = await generate([{ name: 'commonName', value: '*.localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: '*.localhost' },
          // Node's TLS client never matches a wildcard over fewer than three labels
          // (`*.localhost`), so the demo hosts are listed by name for the SDK examples.
          { type: 2, value: 'school-a.localhost' },
          { type: 2, value: 'acme-hr.localhost' },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
