/**
 * Text of an uploaded CSV file. Japanese spreadsheets save CSV as Shift_JIS (Excel's "CSV") or as
 * UTF-8 with a byte-order mark ("CSV UTF-8"); other tools write UTF-8 without one. A BOM decides;
 * else the bytes are read as UTF-8 if they are valid UTF-8 (Shift_JIS text with kana or kanji
 * almost never is), and as Shift_JIS otherwise. Node's TextDecoder knows `shift_jis` with full ICU,
 * which the project's Node has (checked by a test).
 */

/** The encodings {@link decodeCsv} recognises. */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'shift_jis';

/**
 * Decodes an uploaded file.
 * @throws Error when the bytes are neither UTF-8 nor Shift_JIS
 * @example decodeCsv(new Uint8Array(await file.arrayBuffer())).text
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return {
      text: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3)),
      encoding: 'utf-8-bom',
    };
  }
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes),
      encoding: 'utf-8',
    };
  } catch {
    // not UTF-8: Shift_JIS (Windows-31J, which WHATWG's shift_jis decoder is)
  }
  try {
    return { text: new TextDecoder('shift_jis', { fatal: true }).decode(bytes), encoding: 'shift_jis' };
  } catch {
    throw new Error('The file is neither UTF-8 nor Shift_JIS text.');
  }
}
