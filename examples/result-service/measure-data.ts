/**
 * `npm run measure -w @resultgate/example-result-service`: what encryption at rest costs per
 * lookup and what a backup takes, on 10,000 results in a temp directory (README "Data lifecycle").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createResultApp } from './src/app.js';
import { backupNow } from './src/backup/backup.js';
import { transaction } from './src/db.js';

const N = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'result-service-measure-'));
const app = createResultApp({
  dbFile: join(dir, 'results.db'),
  identitySecret: 'measure-identity-secret-0123456789',
});
const { store, cipher } = app.context;
const perCall = (start: number, n: number) => `${(((performance.now() - start) * 1000) / n).toFixed(1)} µs`;
try {
  const codes: string[] = [];
  let t = performance.now();
  transaction(app.db, () => {
    for (let i = 0; i < N; i++) {
      const input = {
        externalId: `e${i}`,
        recipient: { id: `r${i}`, name: `Name ${i}`, email: `r${i}@example.com` },
        title: '2027 selection result',
        outcome: 'Passed',
        details: { exam: `E${i}`, score: i % 100 },
      };
      codes.push(store.insert('school-a', input, Date.now()).accessCode);
    }
  });
  console.log(`insert (seal + 2 keyed hashes + INSERT), ${N} in one transaction: ${perCall(t, N)} each`);
  for (const round of [1, 2, 3]) {
    t = performance.now();
    for (const c of codes) if (!store.byAccessCode('school-a', c)) throw new Error('lookup missed');
    console.log(`byAccessCode (keyed hash + SELECT + AES-GCM open), round ${round}: ${perCall(t, N)}`);
  }
  t = performance.now();
  for (const c of codes) cipher.lookupHash('school-a', 'access_code', c);
  console.log(`  of which the keyed hash: ${perCall(t, N)}`);
  const row = app.db.prepare('SELECT id, sealed FROM results LIMIT 1').get() as {
    id: string;
    sealed: Uint8Array;
  };
  t = performance.now();
  for (let i = 0; i < N; i++) cipher.open('school-a', `${row.id}\nrow`, row.sealed);
  console.log(`  of which opening the sealed row: ${perCall(t, N)}`);
  const bySeq = app.db.prepare('SELECT * FROM results WHERE seq = ?');
  t = performance.now();
  for (let i = 0; i < N; i++) bySeq.get(i + 1);
  console.log(`a plain prepared SELECT of one row, for comparison: ${perCall(t, N)}`);
  t = performance.now();
  const b = await backupNow(app.db, join(dir, 'backups'));
  console.log(`backup of ${N} results: ${(performance.now() - t).toFixed(0)} ms, ${b.bytes} bytes`);
} finally {
  app.close();
  rmSync(dir, { recursive: true, force: true });
}
