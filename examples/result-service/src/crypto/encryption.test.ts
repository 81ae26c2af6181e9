import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../db.js';
import { sample, testService } from '../test-kit.js';
import { Keyring } from './keyring.js';
import { readKeyFile } from './master-key.js';
import { RowCipher, SealedDataError } from './row-cipher.js';

const NAME = 'Kazuko Marker-Takahashi';
const EMAIL = 'kazuko.marker@example.org';
const OUTCOME = 'Admitted-OutcomeMarker';
const DETAIL = 'ScholarshipMarker-7731';
const EXTERNAL = 'EXT-MARKER-55210';

/** The raw bytes of the database and its WAL, as a thief copying the directory would get them. */
function rawFiles(dir: string): Buffer {
  const files = ['results.db', 'results.db-wal'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function findings(raw: Buffer, needles: string[]): string[] {
  return needles.filter(
    (n) => raw.includes(Buffer.from(n, 'utf8')) || raw.includes(Buffer.from(n, 'utf16le')),
  );
}

let svc: ReturnType<typeof testService> | undefined;
afterEach(() => svc?.cleanup());

describe('personal fields at rest', () => {
  it('leaves no recipient name, e-mail, outcome, details, external id or access code in the file or the WAL', async () => {
    svc = testService();
    const body = sample(EXTERNAL, {
      recipient: { id: 'R-1', name: NAME, email: EMAIL },
      outcome: OUTCOME,
      details: { note: DETAIL },
      publishAt: '2026-11-30T00:00:00Z',
    });
    const res = await svc.call('school-a', 'POST', '/api/v1/results', { body });
    expect(res.status).toBe(201);
    const { accessCode, pin, id } = await res.json();
    // A failed notification whose error names the recipient: stored sealed too.
    svc.failMail(`550 mailbox ${EMAIL} unavailable`);
    await svc.tick();
    const status = await (await svc.call('school-a', 'GET', `/api/v1/results/${id}/status`)).json();
    expect(status.lastError).toContain(EMAIL);
    // Read back through the API and the recipient page: the data is all there…
    const got = await (await svc.call('school-a', 'GET', `/api/v1/results/${id}`)).json();
    expect(got).toMatchObject({
      externalId: EXTERNAL,
      outcome: OUTCOME,
      recipient: { name: NAME, email: EMAIL },
    });
    const page = await svc.openResult('school-a', accessCode, pin);
    expect(await page.text()).toContain(OUTCOME);
    // …and the file and its WAL (still open, not checkpointed) hold none of it.
    expect(existsSync(join(svc.dir, 'results.db-wal'))).toBe(true);
    expect(findings(rawFiles(svc.dir), [NAME, EMAIL, OUTCOME, DETAIL, EXTERNAL, accessCode])).toEqual([]);
    // The control: the same scan finds what is stored in clear (the tenant id), not the sealed title.
    expect(findings(rawFiles(svc.dir), ['school-a', '2027 entrance exam'])).toEqual(['school-a']);
  });

  it('unwraps a tenant key once, not per request: 20 recipient page views cost no key derivation', async () => {
    svc = testService();
    const created = await (
      await svc.call('t', 'POST', '/api/v1/results', {
        body: sample('k1', { publishAt: '2026-11-30T00:00:00Z' }),
      })
    ).json();
    const keyring = svc.context.cipher.keyring;
    const before = keyring.unwraps;
    for (let i = 0; i < 20; i++) {
      const page = await svc.openResult('t', created.accessCode, created.pin);
      expect(page.status).toBe(200);
    }
    expect(keyring.unwraps).toBe(before);
    expect(before).toBe(1);
  });

  it('finds by external id and access code through keyed hashes, per tenant', async () => {
    svc = testService();
    const a = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('same-id') })).json();
    const b = await (await svc.call('b', 'POST', '/api/v1/results', { body: sample('same-id') })).json();
    const rows = svc.db.prepare('SELECT tenant, external_id_hash FROM results ORDER BY seq').all() as {
      external_id_hash: string;
    }[];
    expect(rows[0]!.external_id_hash).not.toBe('same-id');
    // Equal ids of two tenants hash apart: the hashes do not link tenants' records.
    expect(rows[0]!.external_id_hash).not.toBe(rows[1]!.external_id_hash);
    expect(svc.context.store.byExternalId('a', 'same-id')?.id).toBe(a.id);
    expect(svc.context.store.byExternalId('b', 'same-id')?.id).toBe(b.id);
    expect(svc.context.store.byAccessCode('a', a.accessCode)?.id).toBe(a.id);
    expect(svc.context.store.byAccessCode('b', a.accessCode)).toBeUndefined();
    expect(svc.context.store.byExternalId('c', 'same-id')).toBeUndefined();
  });

  it('refuses a sealed value moved into another row', async () => {
    svc = testService();
    const one = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('one') })).json();
    const two = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('two') })).json();
    svc.db
      .prepare('UPDATE results SET sealed = (SELECT sealed FROM results WHERE id = ?) WHERE id = ?')
      .run(one.id, two.id);
    expect(() => svc!.context.store.get('a', two.id)).toThrow(SealedDataError);
  });

  it('seals rows written in plaintext before schema version 3 when the service opens the file', async () => {
    svc = testService();
    const file = join(svc.dir, 'legacy.db');
    const old = new DatabaseSync(file);
    old.exec('PRAGMA journal_mode = WAL');
    migrate(old, () => 1000, 3);
    old
      .prepare(`INSERT INTO results (id, tenant, external_id, recipient, title, outcome, details, publish_at,
        status, access_code, pin_hash, created_at, updated_at, content_hash)
        VALUES (?, 'a', ?, ?, 'T', ?, '{}', 0, 'published', 'ABCD-EFGH-JKMN', 'x', 0, 0, 'service-keyed')`)
      .run('res_legacy', EXTERNAL, JSON.stringify({ id: 'R', name: NAME, email: EMAIL }), OUTCOME);
    old.close();
    expect(findings(readFileSync(file), [NAME, OUTCOME])).toEqual([NAME, OUTCOME]);
    const reopened = testService({ dbFile: file });
    try {
      const row = reopened.context.store.byExternalId('a', EXTERNAL);
      expect(row).toMatchObject({ id: 'res_legacy', outcome: OUTCOME, access_code: 'ABCD-EFGH-JKMN' });
      expect(reopened.context.store.byAccessCode('a', 'ABCD-EFGH-JKMN')?.id).toBe('res_legacy');
      // Its fingerprint was keyed with the service key, which a purge does not destroy: dropped.
      expect(reopened.context.store.get('a', 'res_legacy')?.content_hash).toBeNull();
      const raw = Buffer.concat(
        [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
      );
      expect(findings(raw, [NAME, EMAIL, OUTCOME, EXTERNAL, 'ABCD-EFGH-JKMN'])).toEqual([]);
    } finally {
      reopened.cleanup();
    }
  });
});

describe('keyring', () => {
  it('creates the default master key file (0600, base64url) on first use', () => {
    svc = testService();
    const key = readKeyFile(join(svc.dir, 'master.key'));
    expect(key.length).toBe(32);
    expect(readFileSync(join(svc.dir, 'master.key'), 'utf8')).toMatch(/^# .*\n[\w-]{43}\n$/);
    expect(statSync(join(svc.dir, 'master.key')).mode & 0o777).toBe(0o600);
  });

  it('rotates the master key by re-wrapping tenant keys: rows open with the new key, not the old', async () => {
    svc = testService();
    const created = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('r1') })).json();
    const keyringFile = join(svc.dir, 'keyring.json');
    const before = readFileSync(keyringFile, 'utf8');
    const sealedBefore = svc.db.prepare('SELECT sealed FROM results').get() as { sealed: Uint8Array };
    const next = randomBytes(32);
    expect(svc.context.cipher.keyring.rotateMaster(next)).toBe(1);
    expect(readFileSync(keyringFile, 'utf8')).not.toBe(before);
    // The rows did not change; a fresh keyring with the new master key opens them.
    const sealedAfter = svc.db.prepare('SELECT sealed FROM results').get() as { sealed: Uint8Array };
    expect(Buffer.from(sealedAfter.sealed)).toEqual(Buffer.from(sealedBefore.sealed));
    const fresh = new RowCipher(new Keyring({ file: keyringFile, masterKey: () => next }));
    const row = svc.db.prepare('SELECT id, sealed FROM results').get() as { id: string; sealed: Uint8Array };
    expect(JSON.parse(fresh.open('a', `${row.id}\nrow`, row.sealed)).externalId).toBe('r1');
    expect(row.id).toBe(created.id);
    const old = readKeyFile(join(svc.dir, 'master.key'));
    expect(() => new Keyring({ file: keyringFile, masterKey: () => old })).toThrow(/wrapped by master key/);
  });
});
