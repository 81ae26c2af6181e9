/** The frame of every admin page (tenant, user, links, logout) and the CSRF token of its forms. */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { ADMIN_TEXT } from './admin-text.js';
import { checkCsrf, csrfToken } from './csrf.js';
import { type Lang, layout } from './layout.js';

type Body = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The admin frame: the tenant's name, the signed-in user, the admin links and logout.
 * @example c.html(adminLayout(c, ctx, 'ja', '結果一覧', body))
 */
export function adminLayout(
  c: Context<ServiceEnv>,
  ctx: ServiceContext,
  lang: Lang,
  title: string,
  body: Body,
) {
  const t = ADMIN_TEXT[lang];
  const { tenant, user } = c.get('identity');
  const nav = html`<span class="muted">${t.signedIn(user)}</span><a href="/admin?lang=${lang}">${t.list}</a><a href="/admin/import?lang=${lang}">${t.import}</a><a href="/.gateway/logout">${t.logout}</a>`;
  return layout(c, { lang, title, profile: ctx.profile(tenant), body, nav, wide: true });
}

/** The CSRF token for the current admin user's forms. */
export function formToken(c: Context<ServiceEnv>, ctx: ServiceContext): string {
  const { tenant, user } = c.get('identity');
  return csrfToken(ctx.keys.csrf, tenant, user, ctx.now());
}

/** Whether a posted form carries a valid CSRF token for the current user. */
export function formTokenOk(c: Context<ServiceEnv>, ctx: ServiceContext, token: unknown): boolean {
  const { tenant, user } = c.get('identity');
  return checkCsrf(ctx.keys.csrf, tenant, user, token, ctx.now());
}
