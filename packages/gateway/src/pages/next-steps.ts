/**
 * What a person can do after each refusal — the sentence an error page shows under its heading.
 * A person reading an error page wants to know what to do now, not what went wrong inside; the
 * code stays on the page only as a reference for support. Codes without an entry (a code added
 * later) get the generic step, so a new code never breaks a page.
 */
import type { ErrorCode } from '../errors.js';
import type { Lang } from './layout.js';

type Step = Record<Lang, string>;

const GENERIC: Step = {
  ja: 'しばらくしてからもう一度お試しください。解決しない場合は、下のお問い合わせ番号を添えて運営者にご連絡ください。',
  en: 'Please try again in a little while. If it keeps happening, contact the operator and quote the reference below.',
};

const STEPS: Partial<Record<ErrorCode, Step>> = {
  bad_request: {
    ja: '前のページに戻り、もう一度操作してください。',
    en: 'Go back to the previous page and try again.',
  },
  unauthorized: {
    ja: '正しいユーザー名とパスワードでもう一度お試しください。',
    en: 'Try again with the right user name and password.',
  },
  session_expired: { ja: 'もう一度ログインしてください。', en: 'Please log in again.' },
  tls_required: {
    ja: 'アドレスの先頭を https:// にしてもう一度開いてください。',
    en: 'Open the address again starting with https://.',
  },
  ip_not_allowed: {
    ja: '許可された場所（学校や会社のネットワークなど）から接続してください。分からない場合は運営者にお問い合わせください。',
    en: 'Connect from an allowed network (such as your school or office). If you are not sure which, contact the operator.',
  },
  tenant_suspended: {
    ja: 'このサービスの運営者にお問い合わせください。',
    en: 'Please contact the operator of this service.',
  },
  forbidden: {
    ja: '別のアカウントでログインするか、権限について管理者にお問い合わせください。',
    en: 'Log in with another account, or ask your administrator for access.',
  },
  csrf_failed: {
    ja: 'ページを開き直して、もう一度送信してください。',
    en: 'Reload the page and submit the form again.',
  },
  unknown_host: {
    ja: 'アドレスが正しいか確認してください。',
    en: 'Check that the address is correct.',
  },
  no_route: {
    ja: 'アドレスが正しいか確認してください。お知らせのメールや通知書にあるリンクから開き直すこともできます。',
    en: 'Check that the address is correct, or open the link in your e-mail or letter again.',
  },
  method_not_allowed: {
    ja: '前のページに戻り、もう一度操作してください。',
    en: 'Go back to the previous page and try again.',
  },
  request_timeout: {
    ja: '通信が途中で止まりました。電波の良い場所で、もう一度送信してください。',
    en: 'The connection stalled. Try again, ideally on a steadier connection.',
  },
  payload_too_large: {
    ja: 'ファイルや入力を小さくして、もう一度送信してください。',
    en: 'Send a smaller file or less text.',
  },
  locked_out: {
    ja: '時間をおいてからもう一度お試しください。',
    en: 'Wait a while, then try again.',
  },
  maintenance: {
    ja: '終了予定の時刻を過ぎてから、もう一度お試しください。',
    en: 'Please come back after the time it is due to end.',
  },
  overloaded: {
    ja: '数十秒ほど待ってから、このページを再読み込みしてください。',
    en: 'Wait half a minute, then reload this page.',
  },
};

/**
 * The next step for a refusal, in the page language.
 * @example nextStep('no_route', 'en') // 'Check that the address is correct, …'
 */
export function nextStep(code: ErrorCode, lang: Lang): string {
  return (STEPS[code] ?? GENERIC)[lang];
}
