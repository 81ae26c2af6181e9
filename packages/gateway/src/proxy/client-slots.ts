/**
 * How many upstream requests each client address has in flight (issue #14): a client may hold at
 * most `upstream.connectionsPerClient` of the shared pool at once, so one address — a slow-upload
 * script, a burst to a slow path — cannot take every connection from every other tenant and client.
 * An IPv6 client is counted by its /64, as the lockouts count it (one host usually holds a whole /64).
 */
import { addressKey } from '../net/address-key.js';

/** In-flight upstream requests per client address, over the counts kept in the deps (`deps.clientSlots`). */
export class ClientSlots {
  /** @param held the counts by address key; the deps' map, so they survive policy reloads */
  constructor(private readonly held: Map<string, number> = new Map()) {}

  /**
   * Takes a slot for `ip`.
   * @returns the key to pass to {@link release}, or `undefined` when the address is at `max`
   */
  take(ip: string, max: number): string | undefined {
    const key = addressKey(ip);
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

  /** Addresses holding at least one slot (for tests and metrics). */
  get size(): number {
    return this.held.size;
  }
}
