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
  return function matchZone(path: string): Zone | undefined {
    if (path.startsWith(RESERVED_PREFIX) || path === reservedRoot) return undefined;
    for (const z of compiled) {
      if (path === z.exact || path.startsWith(z.prefix)) return z.zone;
    }
    return undefined;
  };
}
