import type { HttpCore } from '../http.js';
import type { Notice } from '../types.js';

/** Accepts `[...]`, `{ notices: [...] }` or `{ data: [...] }`: the list of maintenance windows. */
function toNotices(body: unknown): Notice[] {
  if (Array.isArray(body)) return body as Notice[];
  const obj = (body ?? {}) as { notices?: unknown; data?: unknown };
  const list = obj.notices ?? obj.data;
  return Array.isArray(list) ? (list as Notice[]) : [];
}

/**
 * `GET /.gateway/notices`: current and announced maintenance windows of the tenant. Sent without
 * credentials (the gateway serves it to everyone on the tenant's host).
 * @example const upcoming = await client.notices();
 */
export async function fetchNotices(
  http: HttpCore,
  options: { signal?: AbortSignal | undefined; retry?: boolean } = {},
): Promise<Notice[]> {
  const { data } = await http.request<unknown>('GET', '/.gateway/notices', {
    auth: false,
    signal: options.signal,
    retry: options.retry,
  });
  return toNotices(data);
}
