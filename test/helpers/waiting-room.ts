/**
 * What the waiting-room tests share: a one-zone tenant, the zone's room, the ticket cookie read
 * out of an answer, and a bounded wait for the room to reach a state.
 */
import type { PolicyInput } from '@resultgate/gateway';
import { admissionRooms, type Room, roomKey } from '@resultgate/gateway/testing';
import type { TestGateway } from './gateway.js';
import type { RawResponse } from './request.js';

/** The headers of a browser navigating (it gets the waiting page and a ticket). */
export const BROWSER = { accept: 'text/html,application/xhtml+xml', 'accept-language': 'en' };

/** School A with one zone `recipient` on `/r` (auth none) and the given zone settings. */
export function zoneTenants(
  zone: Record<string, unknown>,
  extra: Partial<PolicyInput['tenants'][string]> = {},
): PolicyInput['tenants'] {
  return {
    'school-a': {
      name: 'School A',
      hosts: ['school-a.localhost'],
      zones: [{ name: 'recipient', path: '/r', auth: 'none', ...zone }],
      ...extra,
    },
  } as PolicyInput['tenants'];
}

/** The room of school A's `recipient` zone. */
export function room(g: TestGateway): Room {
  return admissionRooms(g.deps).get(roomKey('school-a', 'recipient'))!;
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The ticket cookie's value from a response, or undefined. */
export function ticketOf(res: RawResponse): string | undefined {
  for (const c of res.headers['set-cookie'] ?? []) {
    const m = /^__Host-rg-ticket=([^;]*)/.exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/** A ticket's fields (readable; only the signature protects them). */
export function ticketFields(value: string): { issued: number; seq: number; until: number } {
  const [, issued, seq, until] = value.split('.').map((p) => Number.parseInt(p, 36));
  return { issued: issued!, seq: seq!, until: until! };
}

/** A ticket's place in line: its arrival time and sequence (a refresh renews only its `until`). */
export function ticketPlace(value: string): { issued: number; seq: number } {
  const { issued, seq } = ticketFields(value);
  return { issued, seq };
}
