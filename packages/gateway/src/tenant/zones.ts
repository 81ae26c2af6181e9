/**
 * The zone matcher: longest path prefix on segment boundaries (`/admin` matches `/admin` and
 * `/admin/x`, never `/adminx`), compiled once per tenant. Reserved `/.gateway/*` paths match no zone.
 */
import type { Zone } from '../policy/schema.js';
import { RESERVED_PREFIX } from '../reserved.js';

interface CompiledZone {
  zone: Zone;
  exact: string;
  prefix: string;
}

/**
 * Upstreams read some paths more loosely than the gateway: Tomcat and Jetty drop `;` parameters
 * (`/admin;x`, `/x/..;/admin`), IIS ignores case and trailing dots or spaces (`/ADMIN`, `/admin.`)
 * and reads NTFS stream names (`/admin::$DATA`, `/admin:$i30:$index_allocation`) as the file or
 * folder itself. A path with any of those is matched again as such an upstream reads it; a
 * different zone there means the path is ambiguous, and it gets no zone (default deny). An 8.3
 * short name (`/ADMIN~1`) can stand for any folder of that prefix, so it is never matched at all.
 */
const LOOSE_RE = /[;:~A-Z]|[. ](?:\/|$)/;
/** An NTFS 8.3 short name: up to 6 characters, `~`, a digit or more, an optional 3-character extension. */
const SHORT_NAME_RE = /^[^.~]{1,6}~\d+(?:\.[^.]{0,3})?$/;

/** The loose reading of a normalised path, or undefined when a segment would become `.`/`..`. */
function looseReading(path: string): string | undefined {
  const segments = path.toLowerCase().split('/');
  for (let i = 1; i < segments.length; i++) {
    const name = segments[i]!.split(';', 1)[0]!.split(':', 1)[0]!;
    if (name === '.' || name === '..' || SHORT_NAME_RE.test(name)) return undefined;
    segments[i] = name.replace(/[. ]+$/, '');
  }
  return segments.join('/');
}

/** Returns the zone of a normalised path, or undefined (default deny). */
export type ZoneMatcher = (path: string) => Zone | undefined;

/**
 * Compiles a tenant's zones.
 * @example compileZones(tenant.zones)('/admin/users') // the "admin" zone
 */
export function compileZones(zones: readonly Zone[]): ZoneMatcher {
  const compiled: CompiledZone[] = zones
    .map((zone) => {
      // A policy's '/admin/' means the same as '/admin'.
      const exact = zone.path.length > 1 ? zone.path.replace(/\/+$/, '') || '/' : '/';
      return { zone, exact, prefix: exact === '/' ? '/' : `${exact}/` };
    })
    .sort((a, b) => b.exact.length - a.exact.length);
  const reservedRoot = RESERVED_PREFIX.slice(0, -1);
  const match = (path: string, zs: readonly CompiledZone[]): Zone | undefined => {
    if (path.startsWith(RESERVED_PREFIX) || path === reservedRoot) return undefined;
    for (const z of zs) if (path === z.exact || path.startsWith(z.prefix)) return z.zone;
    return undefined;
  };
  const folded = compiled.map((z) => ({
    ...z,
    exact: z.exact.toLowerCase(),
    prefix: z.prefix.toLowerCase(),
  }));
  const upperZone = folded.some((z, i) => z.exact !== compiled[i]!.exact);
  return function matchZone(path: string): Zone | undefined {
    const zone = match(path, compiled);
    if (!upperZone && !LOOSE_RE.test(path)) return zone;
    const loose = looseReading(path);
    return loose !== undefined && match(loose, folded) === zone ? zone : undefined;
  };
}
