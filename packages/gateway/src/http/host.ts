/**
 * The host name a request names in `Host`, in the one form the gateway compares and forwards
 * (the tenant lookup, the TLS redirect's allow-list, `X-Forwarded-Host`). Policy hosts are
 * already in this form (policy/schema.ts canonicalHost).
 */

/**
 * `School-A.localhost:8443` → `school-a.localhost`, `[::1]:8443` → `::1`, `a.example.` → `a.example`.
 * @returns the bare lowercase host name, or '' when the header is unusable
 */
export function hostName(host: string): string {
  let name: string;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return '';
    name = host.slice(1, end);
  } else {
    const colon = host.indexOf(':');
    name = colon < 0 ? host : host.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name.toLowerCase();
}
