/**
 * Who a result comes from: each tenant's display name, contact line and public address, as the
 * recipient pages, the admin pages and the notification e-mail show them. An applicant opening a
 * result wants to see the school's name, not a slug, and whom to call; a link in an e-mail must
 * be the address the gateway really serves (in the demo, with its port).
 */

/** Text in both page languages, or one string used for both. */
export type Localized = string | { ja: string; en: string };

/** A tenant as configured (`tenants` option of the result service). */
export interface TenantProfileInput {
  /** Display name, e.g. `{ ja: 'A高等学校', en: 'School A' }`. @default the tenant id */
  name?: Localized;
  /** The contact line under every recipient page and in the e-mail (office, phone, hours). */
  contact?: Localized;
  /**
   * The public base URL of the tenant's host as recipients reach it through the gateway, e.g.
   * `https://school-a.localhost:8443` (no path). E-mail links are built from it.
   * @default `https://<tenant>.localhost`
   */
  publicUrl?: string;
  /** The sender address of notification e-mails; the display name is the tenant's name. */
  mailFrom?: string;
}

/** A tenant's profile, resolved: every field present. */
export interface TenantProfile {
  id: string;
  name: { ja: string; en: string };
  contact: { ja: string; en: string } | undefined;
  /** Base URL without a trailing slash. */
  publicUrl: string;
  /** The recipient page: `publicUrl` + `/r`. */
  recipientUrl: string;
  mailFrom: string | undefined;
}

const both = (text: Localized): { ja: string; en: string } =>
  typeof text === 'string' ? { ja: text, en: text } : text;

/**
 * Checks every configured profile (a bad URL fails at start, not in the first e-mail).
 * @throws Error naming the tenant and field
 */
export function validateProfiles(profiles: Record<string, TenantProfileInput>): void {
  for (const [id, p] of Object.entries(profiles)) {
    if (p.publicUrl === undefined) continue;
    let url: URL;
    try {
      url = new URL(p.publicUrl);
    } catch {
      throw new Error(`result-service: tenants.${id}.publicUrl is not a URL: ${p.publicUrl}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`result-service: tenants.${id}.publicUrl must be http(s): ${p.publicUrl}`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
      throw new Error(`result-service: tenants.${id}.publicUrl must have no path or query: ${p.publicUrl}`);
  }
}

/**
 * Resolves a tenant's profile from the configuration. The public URL: the profile's `publicUrl`,
 * else the tenant's `recipientUrls` entry, else the service-wide `publicBaseUrl` pattern.
 * @param publicBaseUrl e.g. `https://{tenant}.results.example.jp` (`{tenant}` = the tenant id)
 * @example profileOf({ 'school-a': { name: 'School A' } }, {}, 'school-a').recipientUrl
 */
export function profileOf(
  profiles: Record<string, TenantProfileInput>,
  recipientUrls: Record<string, string>,
  tenant: string,
  publicBaseUrl = 'https://{tenant}.localhost',
): TenantProfile {
  const p = profiles[tenant] ?? {};
  const legacy = recipientUrls[tenant];
  const pattern = publicBaseUrl.replaceAll('{tenant}', tenant);
  const publicUrl = (p.publicUrl ?? (legacy ? new URL(legacy).origin : pattern)).replace(/\/+$/, '');
  return {
    id: tenant,
    name: both(p.name ?? tenant),
    contact: p.contact === undefined ? undefined : both(p.contact),
    publicUrl,
    recipientUrl: p.publicUrl === undefined && legacy ? legacy : `${publicUrl}/r`,
    mailFrom: p.mailFrom,
  };
}
