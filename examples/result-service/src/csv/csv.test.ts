import { describe, expect, it } from 'vitest';
import { decodeCsv } from './decode.js';
import { csvField } from './export.js';
import { localToIso, parseImport } from './import.js';

describe('decodeCsv', () => {
  it('reads UTF-8 with and without a BOM, and Shift_JIS (Node’s full ICU decoder)', () => {
    expect(decodeCsv(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ text: 'A', encoding: 'utf-8-bom' });
    expect(decodeCsv(new TextEncoder().encode('合格'))).toEqual({ text: '合格', encoding: 'utf-8' });
    expect(decodeCsv(new Uint8Array([0x8d, 0x87, 0x8a, 0x69]))).toEqual({
      text: '合格',
      encoding: 'shift_jis',
    });
    // half-width katakana ｱ (0xB1) and the NEC row-13 ① (0x87 0x40) Excel writes
    expect(decodeCsv(new Uint8Array([0xb1, 0x87, 0x40])).text).toBe('ｱ①');
  });
});

describe('parseImport', () => {
  it('maps English or Japanese headers, numbers rows by the line they start on', () => {
    const text =
      '外部ID,受験番号,氏名,タイトル,結果,詳細\n\nA1,R1,山田,Exam,合格,"two\nlines"\nA2,R2,,Exam,補欠,\n';
    const parsed = parseImport(text, 'Asia/Tokyo');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.rows.map((r) => r.line)).toEqual([3, 5]);
    expect(parsed.rows[0]?.item).toEqual({
      externalId: 'A1',
      recipient: { id: 'R1', name: '山田' },
      title: 'Exam',
      outcome: '合格',
      details: 'two\nlines',
    });
    expect(parsed.rows[1]?.item).toEqual({
      externalId: 'A2',
      recipient: { id: 'R2' },
      title: 'Exam',
      outcome: '補欠',
    });
  });

  it('reports a broken file as a whole', () => {
    expect(parseImport('externalId,recipientId,title,outcome\nA,"B,C,D\n', 'Asia/Tokyo').ok).toBe(false);
    expect(parseImport('', 'Asia/Tokyo')).toEqual({ ok: false, error: 'The file has no rows.' });
  });

  it('reads spreadsheet times without a zone in the service’s zone', () => {
    expect(localToIso('2027/02/10 10:00', 'Asia/Tokyo')).toBe('2027-02-10T01:00:00.000Z');
    expect(localToIso('2027-2-1', 'Asia/Tokyo')).toBe('2027-01-31T15:00:00.000Z');
    expect(localToIso('2027-07-01 12:00', 'Europe/London')).toBe('2027-07-01T11:00:00.000Z');
    expect(localToIso('2027-02-10T10:00:00+09:00', 'Asia/Tokyo')).toBe('2027-02-10T10:00:00+09:00');
    expect(localToIso('tomorrow', 'Asia/Tokyo')).toBe('tomorrow');
  });
});

describe('csvField', () => {
  it('quotes when needed and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});
