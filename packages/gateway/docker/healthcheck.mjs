// The image's HEALTHCHECK: is the gateway ready (GET /readyz on its admin port)? Exit 0 or 1.
// The address: $RESULTGATE_HEALTHCHECK_URL, else the admin host and port of the policy the
// gateway serves ($RESULTGATE_POLICY), else http://127.0.0.1:9090/readyz. A wildcard host
// (0.0.0.0, ::) is asked on loopback: the check runs inside the container.
import { readFileSync } from 'node:fs';

function adminUrl() {
  if (process.env.RESULTGATE_HEALTHCHECK_URL) return process.env.RESULTGATE_HEALTHCHECK_URL;
  let admin;
  try {
    admin = JSON.parse(readFileSync(process.env.RESULTGATE_POLICY ?? 'policy.json', 'utf8')).server?.admin;
  } catch {
    // Unreadable policy: the gateway would not have started on it either; try the default.
  }
  const port = Number(admin?.port) || 9090;
  let host = admin?.host ?? '127.0.0.1';
  if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${port}/readyz`;
}

const url = adminUrl();
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  if (!res.ok) console.error(`healthcheck: ${url} answered ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
