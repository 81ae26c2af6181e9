/**
 * The login and logout pages of `form` zones (docs/architecture.md §4): plain HTML forms that work without
 * JavaScript, in Japanese or English, with visible labels tied to their inputs and errors
 * announced to screen readers (`role="alert"`, `aria-describedby`).
 */
import { ERROR_CODES } from '../errors.js';
import { escapeHtml, type Lang, renderPage } from './layout.js';

/** Messages the login page can show above the form. */
export type LoginMessage =
  | 'bad_credentials'
  | 'locked_out'
  | 'csrf_failed'
  | 'session_expired'
  | 'logged_out';

const TEXT = {
  ja: {
    title: 'ログイン',
    user: 'ユーザー名',
    password: 'パスワード',
    submit: 'ログイン',
    other: 'English',
    logoutTitle: 'ログアウト',
    logoutAsk: 'このセッションからログアウトしますか？',
    logoutSubmit: 'ログアウト',
    bad_credentials: 'ユーザー名またはパスワードが正しくありません。',
    logged_out: 'ログアウトしました。',
  },
  en: {
    title: 'Log in',
    user: 'User name',
    password: 'Password',
    submit: 'Log in',
    other: '日本語',
    logoutTitle: 'Log out',
    logoutAsk: 'Log out of this session?',
    logoutSubmit: 'Log out',
    bad_credentials: 'The user name or password is incorrect.',
    logged_out: 'You have logged out.',
  },
} as const;

function messageText(lang: Lang, message: LoginMessage): string {
  if (message === 'bad_credentials' || message === 'logged_out') return TEXT[lang][message];
  return ERROR_CODES[message][lang];
}

/** What {@link renderLoginPage} shows. */
export interface LoginPageOptions {
  lang: Lang;
  tenantName: string;
  /** The CSRF token for the hidden field. */
  csrf: string;
  /** Where to go after logging in (already checked to be a same-host path). */
  next?: string;
  /** The user name to refill after a failed attempt (never the password). */
  username?: string;
  message?: LoginMessage;
  /** With `locked_out`: when the lockout ends (ms), shown as a UTC time. */
  lockedUntil?: number | undefined;
}

/** "… Locked until 2026-12-06 15:45 UTC." in the page's language. */
function untilText(lang: Lang, until: number): string {
  const at = `${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return lang === 'ja' ? `（${at} まで）` : ` Locked until ${at}.`;
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

// The pages send `Referrer-Policy: no-referrer`, with which a browser posts `Origin: null`; the
// login POST checks `Origin`, so the page narrows its own policy to same-origin (no referrer still
// leaves the site). A <meta name="referrer"> applies wherever it sits in the document.
const SAME_ORIGIN_REFERRER = '<meta name="referrer" content="same-origin">';

/**
 * Renders the login page.
 * @example c.html(renderLoginPage({ lang: 'ja', tenantName: 'School A', csrf }))
 */
export function renderLoginPage(o: LoginPageOptions): string {
  const t = TEXT[o.lang];
  const other: Lang = o.lang === 'ja' ? 'en' : 'ja';
  const isError = o.message !== undefined && o.message !== 'logged_out';
  const message = o.message
    ? `<p id="login-message" class="${isError ? 'error' : 'muted'}" role="${isError ? 'alert' : 'status'}">${escapeHtml(messageText(o.lang, o.message) + (o.message === 'locked_out' && o.lockedUntil ? untilText(o.lang, o.lockedUntil) : ''))}</p>`
    : '';
  const described = isError ? ' aria-describedby="login-message" aria-invalid="true"' : '';
  // Focus goes to the first field to fix: after a wrong password the user name is refilled, so
  // the password (else the user name) — without JavaScript, through `autofocus`.
  const focusPassword = isError && (o.username ?? '') !== '';
  const query = new URLSearchParams({ lang: other, ...(o.next ? { next: o.next } : {}) });
  const bodyHtml = `${SAME_ORIGIN_REFERRER}
${message}
<form method="post" action="/.gateway/login">
${hidden('csrf', o.csrf)}${hidden('next', o.next)}${hidden('lang', o.lang)}
<label for="username">${t.user}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required${focusPassword ? '' : ' autofocus'} value="${escapeHtml(o.username ?? '')}"${described}>
<label for="password">${t.password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focusPassword ? ' autofocus' : ''}${described}>
<button type="submit">${t.submit}</button>
</form>
<p class="muted"><a href="/.gateway/login?${escapeHtml(query.toString())}" hreflang="${other}" lang="${other}">${t.other}</a></p>`;
  return renderPage({ lang: o.lang, title: t.title, heading: t.title, tenantName: o.tenantName, bodyHtml });
}

/**
 * Renders the logout confirmation (a one-button form, so logging out needs no JavaScript and
 * a link alone cannot log anyone out).
 */
export function renderLogoutPage(o: { lang: Lang; tenantName: string; csrf: string }): string {
  const t = TEXT[o.lang];
  const bodyHtml = `${SAME_ORIGIN_REFERRER}
<p>${t.logoutAsk}</p>
<form method="post" action="/.gateway/logout">
${hidden('csrf', o.csrf)}${hidden('lang', o.lang)}
<button type="submit">${t.logoutSubmit}</button>
</form>`;
  return renderPage({
    lang: o.lang,
    title: t.logoutTitle,
    heading: t.logoutTitle,
    tenantName: o.tenantName,
    bodyHtml,
  });
}
