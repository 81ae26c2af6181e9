/**
 * Demo data for `npm start`: a few results per tenant, so the admin page has something to show
 * and the console can print an access code and PIN that open a result at `/r`.
 */

import type { ResultApp } from './app.js';
import { transaction } from './db.js';
import type { ResultStore } from './store.js';

/** One seeded result and how to open it. */
export interface DemoCredential {
  tenant: string;
  resultId: string;
  externalId: string;
  title: string;
  status: string;
  accessCode: string;
  pin: string;
}

const DAY = 86_400_000;

/**
 * Seeds three results per tenant (one open now, one opening tomorrow, one already viewed) and
 * returns their access codes with a fresh PIN each. Running it again keeps the rows and only
 * issues new PINs, so every start prints working credentials.
 * @param target a running service / in-process app, or a bare store
 * @param tenants tenant ids, as in the gateway policy
 * @returns per result: tenant, id, access code and PIN — the first per tenant opens right away
 * @example for (const c of seedDemo(service, ['school-a'])) console.log(c.accessCode, c.pin)
 */
export function seedDemo(
  target: Pick<ResultApp, 'context'> | { store: ResultStore },
  tenants: readonly string[],
  now = Date.now(),
): DemoCredential[] {
  const store = 'context' in target ? target.context.store : target.store;
  const iso = (ms: number) => new Date(ms).toISOString();
  const out: DemoCredential[] = [];
  transaction(store.db, () => {
    for (const tenant of tenants) {
      const demos = [
        { externalId: 'demo-001', name: '山田 花子', outcome: '合格 / Passed', publishAt: now - DAY },
        { externalId: 'demo-002', name: 'Taro Suzuki', outcome: '補欠 / Waiting list', publishAt: now + DAY },
        {
          externalId: 'demo-003',
          name: '佐藤 一郎',
          outcome: '不合格 / Not passed',
          publishAt: now - 2 * DAY,
        },
      ];
      for (const d of demos) {
        let row = store.byExternalId(tenant, d.externalId);
        let pin: string;
        if (row) {
          pin = store.resetPin(tenant, row.id);
        } else {
          const created = store.insert(
            tenant,
            {
              externalId: d.externalId,
              recipient: { id: d.externalId.replace('demo', 'R'), name: d.name },
              title: '2027年度 選考結果 / 2027 selection result',
              outcome: d.outcome,
              details: {
                'Exam number / 受験番号': d.externalId.toUpperCase(),
                'Note / 備考': 'Demo data / デモデータ',
              },
              publishAt: iso(d.publishAt),
              expiresAt: iso(now + 30 * DAY),
            },
            now,
          );
          row = created.row;
          pin = created.pin;
          if (d.publishAt <= now) row = store.transition(row, 'published', now) ?? row;
          if (d.externalId === 'demo-003') row = store.transition(row, 'viewed', now) ?? row;
        }
        out.push({
          tenant,
          resultId: row.id,
          externalId: d.externalId,
          title: row.title,
          status: row.status,
          accessCode: row.access_code,
          pin,
        });
      }
    }
  });
  return out;
}
