/**
 * CSV import of results for a school office (`/admin/import`): upload → preview → confirm.
 * The preview stores nothing: it decodes the file (UTF-8 with or without BOM, or Shift_JIS),
 * reads the rows and runs them through the Result API's own batch validation as a dry run, then
 * lists the results to add, those already added (skipped), and every error with its line number
 * and column. Only a file without errors can be confirmed. The confirm form carries the decoded
 * file back (nothing is kept on the server in between), validates it again and stores it in one
 * transaction under an idempotency key made at preview time — a double click or a resubmitted
 * confirm replays the first answer instead of adding anything twice.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { runOnce } from '../api/idempotent.js';
import { runBatch } from '../api/send.js';
import { decodeCsv } from '../csv/decode.js';
import { columnOfIssue, type ImportColumn, type ImportRow, parseImport } from '../csv/import.js';
import { transaction } from '../db.js';
import { ApiError } from '../errors.js';
import type { BatchItemOutcome, CreatedResult } from '../schema.js';
import { sha256 } from '../secrets.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { adminLayout, formToken, formTokenOk } from './admin-frame.js';
import { ADMIN_TEXT } from './admin-text.js';
import { formatTime, type Lang, langOf, readForm } from './layout.js';

const MAX_FILE = 2 * 1024 * 1024;

// The API's messages, for the Japanese page (the English page shows them as they are).
const ISSUE_JA: Record<string, string> = {
  'must not be empty': '空欄にはできません',
  'must be an e-mail address': 'メールアドレスの形式ではありません',
  'must be an ISO 8601 date-time with a time zone': '日時の形式が正しくありません（例: 2027/02/10 10:00）',
  'must be after publishAt': '公開日時より後の日時にしてください',
  'must not contain control characters': '制御文字は使えません',
  'the same externalId is on an earlier line': '同じ外部 ID が前の行にもあります',
};
const issueText = (lang: Lang, message: string) =>
  lang === 'ja'
    ? (ISSUE_JA[message] ??
      message.replace(/^must be at most (\d+) characters$/, '$1 文字以内にしてください'))
    : message;

type Problem = { line: number; column: string; message: string };

/** The dry run of a parsed file: what would be added, skipped, and every problem. */
function check(
  ctx: ServiceContext,
  tenant: string,
  rows: ImportRow[],
  headers: Partial<Record<ImportColumn, string>> = {},
) {
  // Name a column as the file's header row does (a school that wrote メール reads メール).
  const named = (column: string) => headers[column as ImportColumn] ?? column;
  const answer = runBatch(
    ctx,
    tenant,
    rows.map((r) => r.item),
    true,
  ).body as { items: BatchItemOutcome[] };
  const problems: Problem[] = [];
  const accepted: ImportRow[] = [];
  let skipped = 0;
  answer.items.forEach((outcome, i) => {
    const row = rows[i]!;
    if (outcome.outcome === 'accepted') accepted.push(row);
    else if (outcome.outcome === 'duplicate' && outcome.result) skipped++;
    else if (outcome.outcome === 'duplicate')
      problems.push({
        line: row.line,
        column: 'externalId',
        message: 'the same externalId is on an earlier line',
      });
    else
      for (const issue of outcome.issues ?? [])
        problems.push({ line: row.line, column: named(columnOfIssue(issue.path)), message: issue.message });
  });
  return { accepted, skipped, problems };
}

/**
 * Mounts `GET /import`, `POST /import` (preview) and `POST /import/confirm` on the admin routes.
 * @example importPages(pages, ctx)
 */
export function importPages(pages: Hono<ServiceEnv>, ctx: ServiceContext): void {
  const uploadForm = (c: Context<ServiceEnv>, lang: Lang, invalid = false) => {
    const t = ADMIN_TEXT[lang];
    return html`<form method="post" action="/admin/import" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="${formToken(c, ctx)}"><input type="hidden" name="lang" value="${lang}">
<label for="file">${t.file}</label><input type="file" id="file" name="file" accept=".csv,text/csv" required${invalid ? html` aria-invalid="true" aria-describedby="import-errors" autofocus` : ''}>
<div><button type="submit">${t.preview}</button></div></form>`;
  };
  const page = (
    c: Context<ServiceEnv>,
    lang: Lang,
    title: string,
    body: ReturnType<typeof html>,
    status: 200 | 400 | 403 | 409 = 200,
  ) => c.html(adminLayout(c, ctx, lang, title, body), status);

  pages.get('/import', (c) => {
    const lang = langOf(c);
    const t = ADMIN_TEXT[lang];
    return page(
      c,
      lang,
      t.import,
      html`<h1>${t.import}</h1><p>${t.importIntro}</p><p class="muted">${t.importRules}</p>${uploadForm(c, lang)}`,
    );
  });

  /** The preview of a decoded file, or the file's problems. */
  const preview = (c: Context<ServiceEnv>, lang: Lang, text: string, encoding: string) => {
    const t = ADMIN_TEXT[lang];
    const { tenant } = c.get('identity');
    const parsed = parseImport(text, ctx.timeZone);
    if (!parsed.ok) {
      return page(
        c,
        lang,
        t.previewTitle,
        html`<h1>${t.previewTitle}</h1><div id="import-errors" class="error" role="alert"><p>${t.badFile}: ${parsed.error}</p><p>${t.fixFirst}</p></div>${uploadForm(c, lang, true)}`,
        400,
      );
    }
    const { accepted, skipped, problems } = check(ctx, tenant, parsed.rows, parsed.headers);
    const time = (iso: unknown) =>
      typeof iso === 'string' && !Number.isNaN(Date.parse(iso))
        ? formatTime(Date.parse(iso), lang, ctx.timeZone)
        : '—';
    const pc = t.previewCols;
    const summary = html`<ul><li>${t.encoding(encoding)}</li><li>${t.rowsOk(accepted.length)}</li>${skipped ? html`<li>${t.rowsDup(skipped)}</li>` : ''}${problems.length ? html`<li>${t.rowsBad(new Set(problems.map((p) => p.line)).size)}</li>` : ''}</ul>`;
    if (problems.length > 0) {
      const ec = t.errorCols;
      return page(
        c,
        lang,
        t.previewTitle,
        html`<h1>${t.previewTitle}</h1>${summary}
<div id="import-errors" class="error" role="alert"><p>${t.fixFirst}</p>
<table class="cards"><thead><tr>${ec.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${problems.map((p) => html`<tr><td data-label="${ec[0]}">${t.line(p.line)}</td><td data-label="${ec[1]}"><code>${p.column}</code></td><td data-label="${ec[2]}">${issueText(lang, p.message)}</td></tr>`)}</tbody></table></div>
${uploadForm(c, lang, true)}`,
        400,
      );
    }
    const rows = accepted.map((r) => {
      const item = r.item as {
        externalId: string;
        recipient: { id: string; name?: string };
        title: string;
        outcome: string;
        publishAt?: string;
      };
      return html`<tr><td data-label="${pc[0]}">${r.line}</td><td data-label="${pc[1]}">${item.externalId}</td><td data-label="${pc[2]}"><span>${item.recipient.name ?? ''} <span class="muted">${item.recipient.id}</span></span></td><td data-label="${pc[3]}">${item.title}</td><td data-label="${pc[4]}">${item.outcome}</td><td data-label="${pc[5]}">${item.publishAt ? time(item.publishAt) : '—'}</td></tr>`;
    });
    const confirm =
      accepted.length === 0
        ? html`<p class="next">${t.nothing}</p>`
        : html`<form method="post" action="/admin/import/confirm">
<input type="hidden" name="csrf" value="${formToken(c, ctx)}"><input type="hidden" name="lang" value="${lang}">
<input type="hidden" name="key" value="${randomUUID()}"><input type="hidden" name="data" value="${Buffer.from(text).toString('base64')}">
<button type="submit">${t.confirm(accepted.length)}</button> <a class="button secondary" href="/admin/import?lang=${lang}">${t.another}</a></form>`;
    return page(
      c,
      lang,
      t.previewTitle,
      html`<h1>${t.previewTitle}</h1>${summary}
${accepted.length ? html`<table class="cards"><thead><tr>${pc.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>` : ''}
${confirm}`,
    );
  };

  /** A post without this session's form token: the upload form again, with why (403). */
  const csrfRefused = (c: Context<ServiceEnv>, lang: Lang) => {
    const t = ADMIN_TEXT[lang];
    return page(
      c,
      lang,
      t.import,
      html`<h1>${t.import}</h1><p class="error" role="alert">${t.csrf}</p>${uploadForm(c, lang)}`,
      403,
    );
  };

  pages.post('/import', bodyLimit({ maxSize: MAX_FILE + 64 * 1024 }), async (c) => {
    const form = await readForm(c);
    const lang = langOf(c, form);
    const t = ADMIN_TEXT[lang];
    if (!formTokenOk(c, ctx, form.csrf)) return csrfRefused(c, lang);
    const file = form.file;
    let decoded: { text: string; encoding: string };
    try {
      if (!(file instanceof File) || file.size === 0)
        throw new Error(lang === 'ja' ? 'ファイルが選ばれていません。' : 'No file was chosen.');
      if (file.size > MAX_FILE)
        throw new Error(lang === 'ja' ? 'ファイルが 2 MB を超えています。' : 'The file is larger than 2 MB.');
      decoded = decodeCsv(new Uint8Array(await file.arrayBuffer()));
    } catch (err) {
      return page(
        c,
        lang,
        t.previewTitle,
        html`<h1>${t.previewTitle}</h1><div id="import-errors" class="error" role="alert"><p>${t.badFile}: ${(err as Error).message}</p></div>${uploadForm(c, lang, true)}`,
        400,
      );
    }
    const names = { 'utf-8': 'UTF-8', 'utf-8-bom': 'UTF-8 (BOM)', shift_jis: 'Shift_JIS' } as Record<
      string,
      string
    >;
    return preview(c, lang, decoded.text, names[decoded.encoding] ?? decoded.encoding);
  });

  pages.post('/import/confirm', bodyLimit({ maxSize: 4 * MAX_FILE }), async (c) => {
    const form = await readForm(c);
    const lang = langOf(c, form);
    const t = ADMIN_TEXT[lang];
    if (!formTokenOk(c, ctx, form.csrf)) return csrfRefused(c, lang);
    const text = typeof form.data === 'string' ? Buffer.from(form.data, 'base64').toString('utf8') : '';
    const key = typeof form.key === 'string' ? form.key : '';
    const { tenant, requestId } = c.get('identity');
    const parsed = parseImport(text, ctx.timeZone);
    // Checked again: the confirm form came back from a browser, and results may have been added since.
    if (!parsed.ok || check(ctx, tenant, parsed.rows).problems.length > 0)
      return preview(c, lang, text, 'UTF-8');
    const items = parsed.rows.map((r) => r.item);
    let done: { answer: { body: unknown }; replayed: boolean };
    try {
      done = runOnce(ctx, { tenant, key, fingerprint: sha256(`admin-import\n${text}`), requestId }, () =>
        transaction(ctx.db, () => runBatch(ctx, tenant, items, false)),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status < 500)
        return page(
          c,
          lang,
          t.import,
          html`<h1>${t.import}</h1><p class="error" role="alert">${err.message}</p>${uploadForm(c, lang)}`,
          409,
        );
      throw err;
    }
    const { items: outcomes } = done.answer.body as { items: BatchItemOutcome[] };
    const added = outcomes.filter((o) => o.outcome === 'accepted' && o.result);
    const cc = t.credCols;
    const body = html`<h1>${t.doneTitle}</h1>
<p class="ok" role="status">${done.replayed ? t.replayed : t.done(added.length)}</p>
${added.length ? html`<p class="next">${t.credentials}</p><table class="cards"><thead><tr>${cc.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${added.map((o) => html`<tr><td data-label="${cc[0]}">${o.externalId}</td><td data-label="${cc[1]}"><span>${o.result?.recipient.name ?? ''} <span class="muted">${o.result?.recipient.id}</span></span></td><td data-label="${cc[2]}"><code>${(o.result as CreatedResult | undefined)?.accessCode}</code></td><td data-label="${cc[3]}"><code>${(o.result as CreatedResult | undefined)?.pin}</code></td></tr>`)}</tbody></table>` : ''}
<p><a href="/admin?lang=${lang}">${t.list}</a></p>`;
    return page(c, lang, t.doneTitle, body);
  });
}
