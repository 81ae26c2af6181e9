/**
 * How a recipient is told that a result is published: a pluggable {@link Mailer}. Built in: a file
 * outbox (the default, one `.eml` file per message under `var/outbox/<tenant>/`), SMTP through
 * nodemailer, and a per-tenant webhook that hands the message to the tenant's own system.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Recipient } from '../schema.js';
import { signWebhook, type WebhookTarget } from './webhooks.js';

/** One notification to one recipient. */
export interface Notification {
  tenant: string;
  resultId: string;
  externalId: string;
  recipient: Recipient;
  subject: string;
  text: string;
  /** The recipient page URL for this tenant. */
  url: string;
  accessCode: string;
  /** The sender's display name (the tenant's name), so the message says who sent it. */
  senderName?: string;
  /** The tenant's own sender address, overriding the mailer's. */
  from?: string;
}

/** `"Name" <address>` with the name RFC 2047-encoded (it is usually Japanese). */
function fromHeader(address: string, name: string | undefined): string {
  if (!name) return address;
  return `=?UTF-8?B?${Buffer.from(name).toString('base64')}?= <${address}>`;
}

/** Sends notifications; a rejected promise counts as a failed attempt (retried with backoff). */
export interface Mailer {
  /** A short name for logs and the status history, e.g. `smtp`. */
  readonly name: string;
  send(message: Notification): Promise<void>;
}

/**
 * Writes each message as an RFC 5322 text file: the default, so the demo needs no mail server.
 * @param dir the outbox directory @default 'var/outbox'
 * @example const mailer = fileOutbox('var/outbox')
 */
export function fileOutbox(dir = 'var/outbox', from = 'results@resultgate.localhost'): Mailer {
  return {
    name: 'outbox',
    async send(m) {
      const folder = join(dir, m.tenant.replace(/[^\w.-]/g, '_'));
      await mkdir(folder, { recursive: true });
      const date = new Date();
      const body = [
        `From: ${fromHeader(m.from ?? from, m.senderName)}`,
        `To: ${m.recipient.email ?? ''}`,
        `Subject: =?UTF-8?B?${Buffer.from(m.subject).toString('base64')}?=`,
        `Date: ${date.toUTCString()}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=UTF-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        m.text,
      ].join('\r\n');
      // Written beside the tenant folders, then renamed in: whatever reads the folder (a relay, a
      // test) sees whole messages only, never one half written.
      const name = `${date.toISOString().replace(/[:.]/g, '')}-${m.resultId}.eml`;
      const partial = join(dir, `.${basename(folder)}-${name}.partial`);
      await writeFile(partial, body);
      await rename(partial, join(folder, name));
    },
  };
}

/**
 * Sends e-mail over SMTP with nodemailer.
 * @param transport an SMTP URL (`smtps://user:pass@mail.example.com`) or nodemailer SMTP options
 * @param from the sender address
 */
export function smtpMailer(
  transport: string | Parameters<typeof nodemailer.createTransport>[0],
  from: string,
): Mailer {
  const transporter = nodemailer.createTransport(transport as string);
  return {
    name: 'smtp',
    async send(m) {
      const sender = m.from ?? from;
      await transporter.sendMail({
        from: m.senderName ? { name: m.senderName, address: sender } : sender,
        to: m.recipient.email,
        subject: m.subject,
        text: m.text,
      });
    },
  };
}

/**
 * Hands each notification to a tenant's system as a signed `recipient.notify` webhook (for
 * tenants that tell recipients through their own portal or SMS).
 */
export function webhookNotifier(
  target: WebhookTarget,
  fetchFn: typeof fetch = fetch,
  now = Date.now,
): Mailer {
  return {
    name: 'webhook',
    async send(m) {
      const id = `ntf_${m.resultId}`;
      const timestamp = Math.floor(now() / 1000);
      const body = JSON.stringify({
        type: 'recipient.notify',
        timestamp: new Date(now()).toISOString(),
        data: {
          resultId: m.resultId,
          externalId: m.externalId,
          recipient: m.recipient,
          subject: m.subject,
          text: m.text,
          url: m.url,
        },
      });
      const res = await fetchFn(target.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(target.secret, id, timestamp, body),
        },
        body,
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`notification webhook answered HTTP ${res.status}`);
    },
  };
}

/** Who sends a notification: the tenant's name and contact line in both languages. */
export interface Sender {
  name: { ja: string; en: string };
  contact?: { ja: string; en: string } | undefined;
}

/**
 * The bilingual text of the "your result is published" message: who sends it (the school or
 * company by name), the link to the recipient page, the access code (the PIN is only on the
 * letter), and whom to contact.
 */
export function notificationText(
  title: string,
  name: string | undefined,
  url: string,
  accessCode: string,
  sender?: Sender,
) {
  const from = sender ? { ja: `${sender.name.ja}より`, en: ` from ${sender.name.en}` } : { ja: '', en: '' };
  const subject = `【結果のお知らせ】${title} / Your result is available`;
  const text = [
    name ? `${name} 様` : 'ご担当者様',
    '',
    `${from.ja ? `${from.ja}、` : ''}「${title}」の結果を公開しました。下記のページで、お手元の通知書に記載のアクセスコードと PIN を入力してご確認ください。`,
    url,
    `アクセスコード: ${accessCode}`,
    ...(sender?.contact ? ['', `お問い合わせ: ${sender.contact.ja}`] : []),
    ...(sender ? ['', sender.name.ja] : []),
    '',
    '----',
    '',
    name ? `Dear ${name},` : 'Hello,',
    '',
    `Your result "${title}"${from.en} is now available. Open the page below and enter the access code and the PIN from your letter.`,
    url,
    `Access code: ${accessCode}`,
    ...(sender?.contact ? ['', `Contact: ${sender.contact.en}`] : []),
    ...(sender ? ['', sender.name.en] : []),
    '',
  ].join('\r\n');
  return { subject, text };
}
