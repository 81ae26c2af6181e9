/**
 * The background scheduler: publishes due results, expires old ones, notifies recipients (with
 * retries and backoff, `failed` after the last), delivers status webhooks and purges stale rows.
 * One tick at a time; the clock is the injected `now()`, so tests step through time by calling
 * {@link tick} without sleeping.
 */
import { type Mailer, notificationText, webhookNotifier } from './notify/mailer.js';
import { type ResultRow, recipientOf } from './resource.js';
import type { ServiceContext } from './types.js';

/** What one tick did. */
export interface TickReport {
  published: number;
  expired: number;
  notified: number;
  retried: number;
  failed: number;
  webhooksDelivered: number;
}

/** Runs one pass of every due job. */
export async function tick(ctx: ServiceContext): Promise<TickReport> {
  const report: TickReport = {
    published: 0,
    expired: 0,
    notified: 0,
    retried: 0,
    failed: 0,
    webhooksDelivered: 0,
  };
  const now = ctx.now();

  for (const row of ctx.store.due('publish', now, 1000)) {
    if (ctx.store.transition(row, 'published', now)) report.published++;
  }
  // Expire before notifying: nobody is told about a result that is already gone.
  for (const row of ctx.store.due('expire', now, 1000)) {
    if (ctx.store.transition(row, 'expired', now)) report.expired++;
  }
  for (const row of ctx.store.due('notify', now, 100)) {
    await notify(ctx, row, report);
  }
  report.webhooksDelivered = await ctx.outbox.deliverDue();
  ctx.idempotency.purge();
  ctx.db.prepare('DELETE FROM pin_failures WHERE at < ?').run(now - ctx.pinLimit.windowMs);
  return report;
}

function channelFor(ctx: ServiceContext, row: ResultRow): Mailer | undefined {
  const hook = ctx.notifyWebhooks[row.tenant];
  if (hook) return webhookNotifier(hook, ctx.fetch, ctx.now);
  return recipientOf(row).email ? ctx.mailer : undefined;
}

async function notify(ctx: ServiceContext, row: ResultRow, report: TickReport): Promise<void> {
  const channel = channelFor(ctx, row);
  if (!channel) {
    // No e-mail and no tenant webhook: the recipient learns of it from the printed letter.
    ctx.store.clearNotify(row);
    return;
  }
  const recipient = recipientOf(row);
  const profile = ctx.profile(row.tenant);
  const url = profile.recipientUrl;
  const { subject, text } = notificationText(row.title, recipient.name, url, row.access_code, profile);
  try {
    await channel.send({
      tenant: row.tenant,
      resultId: row.id,
      externalId: row.external_id,
      recipient,
      subject,
      text,
      url,
      accessCode: row.access_code,
      senderName:
        profile.name.ja === profile.name.en ? profile.name.ja : `${profile.name.ja} / ${profile.name.en}`,
      ...(profile.mailFrom ? { from: profile.mailFrom } : {}),
    });
    if (ctx.store.transition(row, 'notified', ctx.now(), channel.name)) report.notified++;
  } catch (err) {
    const message = `${channel.name}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
    const now = ctx.now();
    const wait = ctx.notifyRetryMs[row.notify_attempts];
    if (wait === undefined) {
      ctx.store.notifyFailed(row, message, now, now);
      if (ctx.store.transition(row, 'failed', now, message)) report.failed++;
    } else {
      ctx.store.notifyFailed(row, message, now + wait, now);
      report.retried++;
    }
  }
}

/** Runs {@link tick} every `intervalMs`, never two at once; `stop()` waits for a running tick. */
export function startScheduler(ctx: ServiceContext, intervalMs: number) {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = tick(ctx)
      .catch((err) =>
        console.error(`[result-service] scheduler: ${err instanceof Error ? err.message : err}`),
      )
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
