/**
 * The standalone service's configuration: a JSON file (`--config FILE` or `RESULT_SERVICE_CONFIG`)
 * and the environment, which overrides it. Validated by one zod schema; every problem is reported
 * at load time, one `path: message` a line. Secrets can live in files (`secretFile`), so the
 * configuration itself can be shown and committed.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { formatPath } from './errors.js';
import type { WebhookTarget } from './notify/webhooks.js';
import type { TenantProfileInput } from './tenants.js';

const PORT = 'must be a port number (0-65535)';
const url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const webhook = z
  .strictObject({
    url,
    /** `whsec_…`; or `secretFile`, a file holding it. */
    secret: z.string().min(1).optional(),
    secretFile: z.string().min(1).optional(),
  })
  .refine((w) => (w.secret === undefined) !== (w.secretFile === undefined), {
    message: 'give exactly one of secret and secretFile',
  });

/** Text in both page languages, or one string for both. */
const localized = z.union([
  z.string().min(1),
  z.strictObject({ ja: z.string().min(1), en: z.string().min(1) }),
]);

/** The configuration file's shape. Every field is optional; the defaults are those of main.ts. */
export const serviceConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.int().min(0, PORT).max(65_535, PORT).optional(),
    })
    .optional(),
  /**
   * Where recipients reach the service through the gateway; `{tenant}` is replaced by the tenant id,
   * e.g. `https://{tenant}.results.example.jp`. Notifications link to `<publicBaseUrl>/r`.
   */
  publicBaseUrl: z
    .string()
    .refine(
      (v) => URL.canParse(v.replaceAll('{tenant}', 't')) && /^https?:/.test(v),
      'must be an http(s) URL',
    )
    .optional(),
  dbFile: z.string().min(1).optional(),
  identitySecretFile: z.string().min(1).optional(),
  outboxDir: z.string().min(1).optional(),
  smtp: z.strictObject({ url: z.string().min(1), from: z.string().min(3) }).optional(),
  tenants: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a tenant id (a-z, 0-9, -)'),
      z.strictObject({
        /** This tenant's public base URL, when it is not the `publicBaseUrl` pattern. */
        publicBaseUrl: url.optional(),
        /** The name recipients and staff see (header bar, e-mail sender), e.g. `{ "ja": "A高等学校", "en": "School A" }`. */
        name: localized.optional(),
        /** The contact line under every recipient page and in the e-mail. */
        contact: localized.optional(),
        /** The sender address of this tenant's notification e-mails. */
        mailFrom: z.email('must be an e-mail address').optional(),
        /** Status webhooks (`result.published`, …). */
        webhook: webhook.optional(),
        /** `recipient.notify` webhooks instead of e-mail. */
        notifyWebhook: webhook.optional(),
      }),
    )
    .optional(),
});
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

/** What the configuration gives the service (the options main.ts passes on). */
export interface LoadedConfig {
  host: string;
  port: number;
  dbFile: string;
  identitySecretFile: string;
  outboxDir: string | undefined;
  smtp: { transport: string; from: string } | undefined;
  publicBaseUrl: string | undefined;
  recipientUrls: Record<string, string>;
  /** Each tenant's name, contact line and sender, as the pages and e-mails show them. */
  tenants: Record<string, TenantProfileInput>;
  webhooks: Record<string, WebhookTarget>;
  notifyWebhooks: Record<string, WebhookTarget>;
}

/** A configuration that cannot be used; `message` lists every problem, one a line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** The environment's part, in the file's shape (the environment wins over the file). */
function fromEnv(env: Env): { config: ServiceConfig; issues: string[] } {
  const issues: string[] = [];
  const config: ServiceConfig = {};
  if (env.HOST || env.PORT !== undefined) {
    const port = env.PORT === undefined ? undefined : Number(env.PORT);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535))
      issues.push(`PORT: ${PORT}`);
    config.listen = { ...(env.HOST ? { host: env.HOST } : {}), ...(port === undefined ? {} : { port }) };
  }
  if (env.PUBLIC_BASE_URL) config.publicBaseUrl = env.PUBLIC_BASE_URL;
  if (env.RESULTS_DB) config.dbFile = env.RESULTS_DB;
  if (env.IDENTITY_SECRET_FILE) config.identitySecretFile = env.IDENTITY_SECRET_FILE;
  if (env.SMTP_URL) config.smtp = { url: env.SMTP_URL, from: env.MAIL_FROM ?? 'results@localhost' };
  if (env.WEBHOOK_URL) {
    const tenants = (env.WEBHOOK_TENANTS ?? '').split(',').filter(Boolean);
    if (tenants.length === 0)
      issues.push('WEBHOOK_TENANTS: name the tenants WEBHOOK_URL is for (comma-separated)');
    const hook = {
      url: env.WEBHOOK_URL,
      ...(env.WEBHOOK_SECRET ? { secret: env.WEBHOOK_SECRET } : {}),
      ...(env.WEBHOOK_SECRET_FILE ? { secretFile: env.WEBHOOK_SECRET_FILE } : {}),
    };
    config.tenants = Object.fromEntries(tenants.map((t) => [t, { webhook: hook }]));
  }
  return { config, issues };
}

/** One line per problem; an unknown field at its own path, so a typo points at itself. */
function lines(error: z.ZodError, suffix = ''): string[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => `${formatPath([...i.path, k])}: is not a known field${suffix}`)
      : [`${formatPath(i.path) || '(file)'}: ${i.message}${suffix}`],
  );
}

function merge(file: ServiceConfig, env: ServiceConfig): ServiceConfig {
  const tenants = { ...file.tenants };
  for (const [t, v] of Object.entries(env.tenants ?? {})) tenants[t] = { ...tenants[t], ...v };
  return { ...file, ...env, listen: { ...file.listen, ...env.listen }, tenants };
}

/**
 * Loads the configuration from a file (optional) and the environment.
 * @param file a JSON file; relative `secretFile`s are read from its folder
 * @param env `HOST`, `PORT`, `PUBLIC_BASE_URL`, `RESULTS_DB`, `IDENTITY_SECRET_FILE`, `SMTP_URL`,
 *   `MAIL_FROM`, `WEBHOOK_URL` + `WEBHOOK_SECRET` or `WEBHOOK_SECRET_FILE` + `WEBHOOK_TENANTS`
 * @throws {ConfigError} listing every problem, `path: message` one a line
 * @example const config = loadServiceConfig(process.env.RESULT_SERVICE_CONFIG, process.env)
 */
export function loadServiceConfig(file: string | undefined, env: Env = {}): LoadedConfig {
  let raw: unknown = {};
  const where = file ?? 'the environment';
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${file}: ${(err as Error).message}`);
    }
  }
  const parsed = serviceConfigSchema.safeParse(raw);
  const envPart = fromEnv(env);
  const issues = [...envPart.issues];
  if (!parsed.success) issues.push(...lines(parsed.error));
  const merged = parsed.success
    ? serviceConfigSchema.safeParse(merge(parsed.data, envPart.config))
    : undefined;
  if (merged && !merged.success) issues.push(...lines(merged.error, ' (from the environment)'));
  if (issues.length > 0 || !merged?.success)
    throw new ConfigError(`invalid configuration (${where}):\n  ${issues.join('\n  ')}`);
  const c = merged.data;
  const base = file ? dirname(resolve(file)) : process.cwd();
  const secretOf = (tenant: string, kind: string, w: z.infer<typeof webhook>): WebhookTarget => {
    if (w.secret !== undefined) return { url: w.url, secret: w.secret };
    const path = resolve(base, w.secretFile as string);
    try {
      const secret = readFileSync(path, 'utf8').trim();
      if (!secret) throw new Error('empty file');
      return { url: w.url, secret };
    } catch (err) {
      throw new ConfigError(
        `tenants.${tenant}.${kind}.secretFile: cannot read ${path}: ${(err as Error).message}`,
      );
    }
  };
  const webhooks: Record<string, WebhookTarget> = {};
  const notifyWebhooks: Record<string, WebhookTarget> = {};
  const recipientUrls: Record<string, string> = {};
  const tenants: Record<string, TenantProfileInput> = {};
  for (const [tenant, t] of Object.entries(c.tenants ?? {})) {
    if (t.webhook) webhooks[tenant] = secretOf(tenant, 'webhook', t.webhook);
    if (t.notifyWebhook) notifyWebhooks[tenant] = secretOf(tenant, 'notifyWebhook', t.notifyWebhook);
    if (t.publicBaseUrl) recipientUrls[tenant] = `${t.publicBaseUrl.replace(/\/+$/, '')}/r`;
    if (t.name || t.contact || t.mailFrom)
      tenants[tenant] = {
        ...(t.name ? { name: t.name } : {}),
        ...(t.contact ? { contact: t.contact } : {}),
        ...(t.mailFrom ? { mailFrom: t.mailFrom } : {}),
      };
  }
  return {
    host: c.listen?.host ?? '127.0.0.1',
    port: c.listen?.port ?? 3000,
    dbFile: c.dbFile ?? 'var/results.db',
    identitySecretFile: c.identitySecretFile ?? 'var/identity.key',
    outboxDir: c.outboxDir,
    smtp: c.smtp ? { transport: c.smtp.url, from: c.smtp.from } : undefined,
    publicBaseUrl: c.publicBaseUrl?.replace(/\/+$/, ''),
    recipientUrls,
    tenants,
    webhooks,
    notifyWebhooks,
  };
}
