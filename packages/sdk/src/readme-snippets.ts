/**
 * The code of packages/sdk/README.md. Each `#region` here appears verbatim (dedented) in the
 * README; readme-snippets.test.ts checks that and runs each function against a stub gateway, and
 * `tsc` type-checks them, so the README cannot drift from the API.
 * biome.json turns organizeImports off for this file alone: sorting would move imports across the
 * `import` region's markers, and the README shows that region as one block.
 */
// #region import
import {
  AuthenticationError,
  ConflictError,
  IpNotAllowedError,
  isResultGateError,
  MaintenanceError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ResultClient,
  type ResultInput,
  ValidationError,
} from '@resultgate/sdk';
// #endregion import
import { readFile, writeFile } from 'node:fs/promises';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { createWebhookDeduper, verifyWebhook } from '@resultgate/sdk/webhooks';

/** The five-line send. */
export async function sendOne(): Promise<string> {
  // #region send
  const client = new ResultClient({
    baseUrl: 'https://school-a.example.jp',
    username: 'school-sync',
    password: 'secret',
  });
  const created = await client.results.send({
    externalId: 'exam-2027-0001',
    recipient: { id: 'A-0001', email: 'a0001@example.jp' },
    title: '2027年度 入学試験',
    outcome: '合格',
    publishAt: '2027-02-10T01:00:00Z',
  });
  console.log(created.id, created.status, created.accessCode, created.pin); // print code + PIN on the letter
  // #endregion send
  return created.id;
}

/** Reading statuses: one, a page, every item. */
export async function readStatuses(client: ResultClient, id: string): Promise<string[]> {
  // #region status
  const info = await client.results.status(id);
  for (const step of info.steps) console.log(step.status, step.at); // scheduled → published → notified → viewed

  const page = await client.results.list({ status: 'viewed', limit: 100 }); // one page
  console.log(page.data.length, page.hasNextPage());

  const viewed: string[] = [];
  for await (const result of client.results.list({ status: 'viewed', since: '2027-02-10T00:00:00Z' })) {
    viewed.push(result.externalId); // every page, cursor by cursor
  }
  // #endregion status
  return viewed;
}

/** Handling each error. */
export async function handleErrors(client: ResultClient, item: ResultInput): Promise<string> {
  // #region errors
  try {
    await client.results.send(item);
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const issue of err.issues) console.error(`${issue.path}: ${issue.message}`); // fix the data
    } else if (err instanceof AuthenticationError) {
      console.error('wrong user or password', err.code); // 'auth_breaker_open': stopped sending to avoid a lockout
    } else if (err instanceof IpNotAllowedError) {
      console.error("ask the tenant's admin to allow this machine's address");
    } else if (err instanceof RateLimitError) {
      console.error(err.lockedOut ? 'account locked' : 'slow down', `retry in ${err.retryAfter}s`);
    } else if (err instanceof MaintenanceError) {
      console.error(`maintenance until ${err.retryAt?.toISOString()}`);
    } else if (err instanceof ConflictError) {
      console.error('this externalId was already sent with other content'); // duplicate_external_id
    } else if (err instanceof NotFoundError || err instanceof PermissionError) {
      console.error('check baseUrl and the user’s roles', err.code);
    } else if (isResultGateError(err)) {
      // OverloadedError, UpstreamError, TimeoutError, NetworkError: already retried with backoff
      console.error(err.code, err.retryable ? 'try again later' : 'report it', err.requestId);
    } else throw err;
    return isResultGateError(err) ? err.code : 'unknown';
  }
  // #endregion errors
  return 'sent';
}

/** A cohort with sendMany, resumable. */
export async function sendCohort(client: ResultClient, cohort: ResultInput[], reportFile: string) {
  // #region sendMany
  const previous = await readFile(reportFile, 'utf8').then(JSON.parse, () => undefined);
  const report = await client.results.sendMany(cohort, {
    chunkSize: 200,
    concurrency: 2,
    resumeFrom: previous, // after a crash: settled items are skipped, nothing is published twice
    onProgress: (r) => writeFile(reportFile, JSON.stringify(r)), // holds access codes + PINs: keep it safe
  });
  console.log(report.counts); // { accepted, duplicate, rejected, failed, pending, resumed }
  if (!report.complete) console.error(report.aborted ?? 'some batches failed: run again to resume');
  // #endregion sendMany
  return report;
}

/** The first support question in one call. */
export async function diagnoseOnce(client: ResultClient) {
  // #region diagnose
  const d = await client.diagnose();
  // { ok, reachable, tls, credentials, addressAllowed, maintenance: { active, upcoming }, requestIds }
  // #endregion diagnose
  return d;
}

/** Node: reaching the demo's *.localhost hosts. */
export function demoClient(caPem: string): ResultClient {
  // #region node
  const client = new ResultClient({
    baseUrl: 'https://school-a.localhost:8443',
    username: 'school-sync',
    password: 'SchoolSync-2026!',
    fetch: createNodeFetch({ resolve: LOCALHOST_RESOLVE, ca: caPem }), // like curl --resolve + --cacert
  });
  // #endregion node
  return client;
}

/** Webhooks. */
export async function onWebhook(
  rawBody: string,
  headers: Headers,
  secret: string,
): Promise<string | undefined> {
  // #region webhooks
  const dedupe = createWebhookDeduper();
  const { id, payload } = await verifyWebhook<{ type: string; data: { externalId: string } }>(
    rawBody,
    headers,
    secret,
  );
  if (dedupe.isDuplicate(id)) return; // at-least-once delivery: drop repeats
  console.log(payload.type, payload.data.externalId); // e.g. result.viewed exam-2027-0001
  // #endregion webhooks
  return payload.type;
}
