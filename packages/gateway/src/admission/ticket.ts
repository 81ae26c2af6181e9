/**
 * The waiting room's ticket: a place in one zone's line, kept by the browser in a cookie and
 * verified by any gateway process holding the session keys — no shared memory. It is an HMAC-SHA256
 * over the tenant, the zone, the issue time, the sequence and the time by which its holder must
 * come back, with a key derived (HKDF) from the session keys: the newest signs, all verify, so a
 * key rotation does not send everyone to the back. A ticket edited, made up, or taken to another
 * zone or tenant fails verification and counts as no ticket.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** The cookie that carries the ticket (`__Host-rg-…`: the proxy never passes it upstream). */
export const TICKET_COOKIE = '__Host-rg-ticket';

/** What a ticket says. */
export interface Ticket {
  /** When its holder first arrived (ms since the epoch). */
  issued: number;
  /** Its sequence among the tickets the issuing process gave out. */
  seq: number;
  /** The holder must come back before this (ms): a ticket not refreshed on time is void. */
  until: number;
}

const HKDF_INFO = 'resultgate waiting-room ticket v1';
const MAC_BYTES = 16;

/** Signs and verifies tickets for one policy load's zones. */
export class TicketSigner {
  private readonly keys: Buffer[];

  /** @param sessionKeys the gateway's session keys, newest first */
  constructor(sessionKeys: readonly Uint8Array[]) {
    if (sessionKeys.length === 0) throw new Error('TicketSigner: no session key');
    this.keys = sessionKeys.map((k) => Buffer.from(hkdfSync('sha256', k, new Uint8Array(0), HKDF_INFO, 32)));
  }

  private mac(key: Buffer, tenant: string, zone: string, t: Ticket): Buffer {
    return createHmac('sha256', key)
      .update(JSON.stringify([tenant, zone, t.issued, t.seq, t.until]))
      .digest()
      .subarray(0, MAC_BYTES);
  }

  /**
   * The cookie value of `ticket` for this tenant and zone.
   * @example signer.sign('school-a', 'recipient', { issued, seq, until })
   */
  sign(tenant: string, zone: string, ticket: Ticket): string {
    const mac = this.mac(this.keys[0]!, tenant, zone, ticket).toString('base64url');
    return `1.${ticket.issued.toString(36)}.${ticket.seq.toString(36)}.${ticket.until.toString(36)}.${mac}`;
  }

  /**
   * The ticket in `value`, when it is well-formed, signed for this tenant and zone, and not past
   * its `until` at `now`; otherwise undefined.
   */
  verify(tenant: string, zone: string, value: string | undefined, now: number): Ticket | undefined {
    if (!value || value.length > 100) return undefined;
    const parts = value.split('.');
    if (parts.length !== 5 || parts[0] !== '1') return undefined;
    const [issued, seq, until] = [parts[1]!, parts[2]!, parts[3]!].map((p) =>
      /^[0-9a-z]{1,11}$/.test(p) ? Number.parseInt(p, 36) : Number.NaN,
    ) as [number, number, number];
    if (!Number.isSafeInteger(issued) || !Number.isSafeInteger(seq) || !Number.isSafeInteger(until))
      return undefined;
    let given: Buffer;
    try {
      given = Buffer.from(parts[4]!, 'base64url');
    } catch {
      return undefined;
    }
    if (given.length !== MAC_BYTES) return undefined;
    const ticket: Ticket = { issued, seq, until };
    const ok = this.keys.some((k) => timingSafeEqual(this.mac(k, tenant, zone, ticket), given));
    if (!ok || until <= now || issued > now + 60_000) return undefined;
    return ticket;
  }

  /**
   * A number in [0, 1) that the holder cannot compute or choose: the ticket's place in the random
   * order of a scheduled opening. Keyed by the same secret, so every process draws the same.
   */
  draw(tenant: string, zone: string, issued: number, seq: number): number {
    const h = createHmac('sha256', this.keys[0]!)
      .update(JSON.stringify(['draw', tenant, zone, issued, seq]))
      .digest();
    return h.readUIntBE(0, 6) / 2 ** 48;
  }
}
