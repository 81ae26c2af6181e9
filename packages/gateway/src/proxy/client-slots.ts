/**
 * How many upstream requests each client address has in flight (issue #14): a client may hold at
 * most `upstream.connectionsPerClient` of the shared pool at once, so one address — a slow-upload
 * script, a burst to a slow path — cannot take every connection from every other tenant and client.
 * An IPv6 client is counted by its /64, as the lockouts count it (one host usually holds a whole /64).
 */
import { addressKey } from '../net/address-key.js';

/**
 * One process's share of `upstream.connectionsPerClient`: with `serve --workers N` the primary
 * spreads connections over the workers and each counts only its own, so each allows
 * ceil(limit / N) (at least 1) — one address then holds at most about `limit` across the machine,
 * not N × `limit`. (Not divided by `server.replicas`: a load balancer often sends one address to
 * one replica, which would then allow it only a fraction.)
 * @example perClientShare(64, 4) // 16
 */
export function perClientShare(limit: number, workers: number): number {
  return Math.max(1, Math.ceil(limit / Math.max(1, Math.floor(workers))));
}

/**
 * The count of requests whose body still streams from its client to the upstream (larger than
 * `server.bufferBodySize`), kept beside the addresses' counts. Such a request holds an upstream
 * connection for as long as its client keeps sending; a client dripping a byte now and then
 * holds it for as long as it likes. The per-address cap bounds one address; this bounds them all:
 * at most half the pool (shared out among the workers), so slow uploads from any number of
 * addresses leave the other half to every other request. (Not an address: it starts with NUL.)
 */
export const STREAMING_BODIES = '\0streaming-bodies';

/** In-flight upstream requests per client address, over the counts kept in the deps (`deps.clientSlots`). */
export class ClientSlots {
  /** @param held the counts by address key; the deps' map, so they survive policy reloads */
  constructor(private readonly held: Map<string, number> = new Map()) {}

  /**
   * Takes a slot for `ip`.
   * @returns the key to pass to {@link release}, or `undefined` when the address is at `max`
   */
  take(ip: string, max: number): string | undefined {
    return this.takeKey(addressKey(ip), max);
  }

  /**
   * Takes a slot counted under `key` itself (not an address: {@link STREAMING_BODIES}).
   * @returns `key`, or `undefined` when `key` is at `max`
   */
  takeKey(key: string, max: number): string | undefined {
    const n = this.held.get(key) ?? 0;
    if (n >= max) return undefined;
    this.held.set(key, n + 1);
    return key;
  }

  /** Gives back a slot taken with {@link take}. */
  release(key: string): void {
    const n = this.held.get(key) ?? 0;
    if (n <= 1) this.held.delete(key);
    else this.held.set(key, n - 1);
  }

  /** Keys (addresses, and {@link STREAMING_BODIES}) holding at least one slot (for tests). */
  get size(): number {
    return this.held.size;
  }
}
