/**
 * Times on the gateway's pages, in Japan Standard Time: the service's people (applicants, school
 * offices) read maintenance windows in JST whatever the server's zone, and the zone is always named.
 */
import type { Lang } from './layout.js';

const FORMATS: Record<Lang, Intl.DateTimeFormat> = {
  ja: new Intl.DateTimeFormat('ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }),
};

/**
 * A time for people, in JST with the zone named.
 * @example formatJst(Date.parse('2026-12-20T03:00:00Z'), 'ja') // '2026年12月20日(日) 12:00（日本時間）'
 */
export function formatJst(ms: number, lang: Lang): string {
  return lang === 'ja' ? `${FORMATS.ja.format(ms)}（日本時間）` : `${FORMATS.en.format(ms)} JST`;
}
