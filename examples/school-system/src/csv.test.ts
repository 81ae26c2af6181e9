import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvToResults, parseCsv } from './csv.js';
import { formatTable, statusRows } from './publish.js';

describe('school-system CSV', () => {
  it('parses quotes, escaped quotes, CRLF and empty cells', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n1,,3\n')).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['1', '', '3'],
    ]);
    expect(() => parseCsv('"open')).toThrow('unterminated');
  });

  it('turns the sample export into results', () => {
    const text = readFileSync(new URL('../data/results.csv', import.meta.url), 'utf8');
    const items = csvToResults(text);
    expect(items).toHaveLength(5);
    expect(items[2]).toEqual({
      externalId: 'exam-2027-0003',
      recipient: { id: 'A-0003', name: 'Suzuki, Ken', email: 'a0003@example.jp' },
      title: '2027年度 入学試験',
      outcome: '合格',
      details: { score: 175 },
    });
    expect(items[3]?.recipient).toEqual({ id: 'A-0004', name: '高橋 美咲' });
    expect(() => csvToResults('externalId,title\nx,y')).toThrow('missing column recipientId');
  });

  it('prints a table without names or outcomes', () => {
    const report = {
      version: 1 as const,
      dryRun: false,
      complete: true,
      counts: { accepted: 1, duplicate: 0, rejected: 1, failed: 0, pending: 0, resumed: 0 },
      rejected: [{ externalId: 'E-2', reason: 'validation_failed' }],
      items: [
        { externalId: 'E-1', outcome: 'accepted' as const, id: 'r_1' },
        { externalId: 'E-2', outcome: 'rejected' as const, reason: 'validation_failed' },
      ],
    };
    const result = {
      id: 'r_1',
      recipient: { id: 'A-1', name: '山田' },
      outcome: '合格',
      status: 'published',
      publishedAt: '2027-02-10T01:00:00.000Z',
    };
    const table = formatTable(statusRows(report, [result as never]));
    expect(table.split('\n')[2]).toMatch(/^E-1\s+A-1\s+accepted\s+published\s+2027-02-10T01:00:00.000Z$/);
    expect(table.split('\n').every((l) => l === l.trimEnd())).toBe(true);
    expect(table).toContain('rejected (validation_failed)');
    expect(table).not.toContain('山田');
    expect(table).not.toContain('合格');
  });
});
