/**
 * The gateway's error codes: the contract the SDK maps to error classes (docs/architecture.md §4).
 * A request-time denial throws a `GatewayError`; one `onError` turns it into a JSON body or a
 * small ja/en HTML page. A 500 never shows internals.
 */

/** Every code the gateway answers with, its status and its English and Japanese messages. */
export const ERROR_CODES = {
  bad_request: { status: 400, en: 'The request is malformed.', ja: 'リクエストの形式が正しくありません。' },
  unauthorized: { status: 401, en: 'Authentication is required.', ja: '認証が必要です。' },
  session_expired: {
    status: 401,
    en: 'Your session has expired. Please log in again.',
    ja: 'セッションの有効期限が切れました。もう一度ログインしてください。',
  },
  tls_required: { status: 403, en: 'Use HTTPS.', ja: 'HTTPS で接続してください。' },
  ip_not_allowed: {
    status: 403,
    en: 'Access from your network is not allowed.',
    ja: 'お使いのネットワークからのアクセスは許可されていません。',
  },
  tenant_suspended: { status: 403, en: 'This service is suspended.', ja: 'このサービスは停止されています。' },
  forbidden: { status: 403, en: 'You do not have permission.', ja: 'アクセス権限がありません。' },
  csrf_failed: {
    status: 403,
    en: 'The form has expired. Please try again.',
    ja: 'フォームの有効期限が切れました。もう一度お試しください。',
  },
  unknown_host: { status: 404, en: 'Unknown host.', ja: '不明なホストです。' },
  no_route: { status: 404, en: 'Not found.', ja: 'ページが見つかりません。' },
  method_not_allowed: { status: 405, en: 'Method not allowed.', ja: '許可されていないメソッドです。' },
  request_timeout: {
    status: 408,
    en: 'The request body did not arrive in time.',
    ja: 'リクエストの受信が時間内に完了しませんでした。',
  },
  payload_too_large: { status: 413, en: 'The request body is too large.', ja: 'リクエストが大きすぎます。' },
  locked_out: {
    status: 429,
    en: 'Too many failed attempts. Try again later.',
    ja: '失敗が続いたため一時的にロックされています。しばらくしてからお試しください。',
  },
  internal_error: { status: 500, en: 'Internal error.', ja: '内部エラーが発生しました。' },
  upstream_unavailable: {
    status: 502,
    en: 'The service is unavailable.',
    ja: 'サービスに接続できません。',
  },
  maintenance: { status: 503, en: 'Under maintenance.', ja: 'メンテナンス中です。' },
  overloaded: {
    status: 503,
    en: 'The service is busy. Please try again shortly.',
    ja: 'ただいま混み合っています。しばらくしてからお試しください。',
  },
  logs_unavailable: {
    status: 503,
    en: 'The service cannot record this request right now.',
    ja: '現在リクエストを記録できないため、受け付けられません。',
  },
  upstream_timeout: {
    status: 504,
    en: 'The service did not answer in time.',
    ja: 'サービスが時間内に応答しませんでした。',
  },
} as const satisfies Record<string, { status: number; en: string; ja: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A request-time denial: one code, its status, optional extra headers and a detail message. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  /**
   * @param code one of {@link ERROR_CODES}
   * @param options.message overrides the default English message (never put secrets here)
   * @param options.headers extra response headers (`Retry-After`, `WWW-Authenticate`, …)
   * @example throw new GatewayError('ip_not_allowed')
   */
  constructor(
    code: ErrorCode,
    options: { message?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(options.message ?? ERROR_CODES[code].en, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.headers = options.headers ?? {};
  }
}

/** True when `err` is a {@link GatewayError}. */
export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
