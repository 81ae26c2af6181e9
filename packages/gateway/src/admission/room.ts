/**
 * One zone's waiting room: its {@link Limiter}, its scheduled opening, the line's numbering, and
 * the estimates the waiting page shows. Everything here is soft state of one process: the order
 * itself travels in the ticket ({@link Key} from the ticket's issue time and sequence, or its draw),
 * so another process or a restarted one ranks a returning ticket the same way.
 */
import { compareKeys, type Key, Limiter } from './limiter.js';
import type { TicketSigner } from './ticket.js';

/** Tuning of every room (not policy: the defaults that make the pages behave). */
export const ROOM_DEFAULTS = {
  /** Shortest and longest self-refresh of the waiting page, in seconds. */
  minRefresh: 2,
  maxRefresh: 30,
  /** A ticket holder must be back within its refresh plus this, or loses its place (s). */
  grace: 60,
  /** Past its refresh plus this, an absent holder no longer holds newcomers back (s). */
  due: 5,
  /**
   * After admission a ticket keeps its place for the visit's next requests this long (s), counted
   * from its first admission: being let in again does not extend it.
   */
  pass: 600,
  /**
   * A ticket is let in ahead of the line at most this many times by one process (the form, its
   * answer, the result, a retry or two): a pass handed round a group, or sold, admits a bounded
   * number of people ahead of the crowd, not everyone who asks for 10 minutes.
   */
  passUses: 20,
  /** Countdown pages reload at the opening plus up to this many seconds, at random (s). */
  openingSpread: 3,
  /** For this long after opensAt nothing is admitted directly: the draw decides (ms). */
  settle: 5_000,
  /** Before the first request finishes, assume one takes this long (ms). */
  serviceMs: 500,
  /** Tickets are given out this long before opensAt unless the zone says (ms). */
  ticketWindow: 600_000,
  /** At most this many outstanding tickets are tracked for the place estimate. */
  maxTracked: 200_000,
} as const;

/**
 * A ticket given out and not yet used: its place, and when its holder is due back. A holder late
 * past that no longer holds newcomers back (its ticket, valid to its `until`, still ranks it when
 * it does come back): a closed tab must not stall the zone for a minute.
 */
interface Outstanding {
  key: Key;
  due: number;
}

/** A place in line: the ticket's issue time and sequence. */
export interface Entry {
  issued: number;
  seq: number;
}

/** What a room is built from. */
export interface RoomConfig {
  tenantId: string;
  zoneName: string;
  /** Absent: not limited (a zone with an opening only). */
  limits?: { maxConcurrent: number; maxQueue: number; queueTimeout: number };
  opensAt?: number;
  ticketWindow: number;
}

/** The waiting room of one zone. */
export class Room {
  readonly limiter: Limiter | undefined;
  readonly opensAt: number | undefined;
  /** Tickets are given out from this time (opensAt − ticketWindow). */
  readonly ticketsFrom: number | undefined;
  /** End of the settling period after the opening. */
  readonly gateUntil: number | undefined;
  /** The last sequence given out by this process. */
  seq = 0;
  /** The highest sequence admitted from the line (for the place estimate). */
  admittedSeq = 0;
  /**
   * The tickets this process gave out and has not seen used, in key order: who is waiting outside
   * between refreshes. Soft state — it ranks the place shown and keeps newcomers from queueing
   * ahead of them; a ticket this process never saw is simply not in it.
   */
  private readonly outstanding: Outstanding[] = [];
  private nextSweep = 0;
  /** How many times each ticket (by issue time and sequence) was let in by this process. */
  private readonly uses = new Map<string, number>();
  /** Moving average of how long an admitted request holds its slot (ms). */
  serviceMs: number = ROOM_DEFAULTS.serviceMs;
  private poll: NodeJS.Timeout | undefined;

  /**
   * @param limiter the zone's limiter from the previous policy load, if any (it keeps counting the
   *   requests that hold a slot or wait across a reload); reconfigured to `config.limits`
   */
  constructor(
    readonly config: RoomConfig,
    private readonly signer: TicketSigner,
    private readonly now: () => number,
    limiter?: Limiter,
  ) {
    if (config.limits) {
      if (limiter) limiter.reconfigure(config.limits);
      this.limiter = limiter ?? new Limiter(config.limits);
    }
    this.opensAt = config.opensAt;
    if (this.opensAt !== undefined) {
      this.ticketsFrom = this.opensAt - config.ticketWindow;
      if (this.limiter) this.gateUntil = this.opensAt + ROOM_DEFAULTS.settle;
    }
    if (this.limiter) {
      // Settling after an opening; a reload that moved or removed the opening lets waiters in.
      if (this.gateUntil !== undefined && now() < this.gateUntil) this.limiter.gated = true;
      else if (this.limiter.gated) this.limiter.ungate();
      // Waiters carried over from the previous load are waiting for the gate's end: poll for it
      // now (the previous room's poll stopped), not only when the next request arrives.
      if (this.limiter.gated && this.limiter.queued > 0) this.checkGate(now());
    }
  }

  /**
   * Carries the soft state of the zone's room from the previous policy load over: the line's
   * numbering and pace, each ticket's admissions (a reload must not renew every pass's budget),
   * and the tickets out — unless the opening moved, which reorders the pre-opening tickets.
   */
  takeOver(before: Room): void {
    this.seq = before.seq;
    this.serviceMs = before.serviceMs;
    for (const [id, n] of before.uses) this.uses.set(id, n);
    if (before.opensAt === this.opensAt) this.outstanding.push(...before.outstanding);
  }

  /** True when `entry` holds a ticket given out before the opening (ranked by draw). */
  isPreOpening(entry: Entry): boolean {
    return this.opensAt !== undefined && entry.issued < this.opensAt;
  }

  /** The entry's place in the order: pre-opening tickets by draw, all before later arrivals. */
  keyOf(entry: Entry): Key {
    if (this.isPreOpening(entry)) return [this.opensAt! - 1, this.draw(entry)];
    return [entry.issued, entry.seq];
  }

  /** The entry's pseudo-random rank in [0, 1) among the pre-opening tickets. */
  draw(entry: Entry): number {
    return this.signer.draw(this.config.tenantId, this.config.zoneName, entry.issued, entry.seq);
  }

  /** A new place at the end of the line. */
  arrive(t: number): Entry {
    return { issued: t, seq: ++this.seq };
  }

  /** Ends the settling period once its time has come; polls while it holds waiters. */
  checkGate(t: number): void {
    const limiter = this.limiter;
    if (!limiter?.gated) return;
    if (t >= this.gateUntil!) {
      limiter.ungate();
      if (this.poll) clearInterval(this.poll);
      this.poll = undefined;
      return;
    }
    // The clock is injected (tests move it), so the end is polled rather than timed.
    this.poll ??= setInterval(() => this.checkGate(this.now()), 200).unref();
  }

  private find(key: Key): number {
    const list = this.outstanding;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(list[mid]!.key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops expired tickets, at most once a second (a pass over the list). */
  private sweep(t: number): void {
    if (t < this.nextSweep) return;
    this.nextSweep = t + 1000;
    const kept = this.outstanding.filter((o) => o.due > t);
    this.outstanding.length = 0;
    this.outstanding.push(...kept);
  }

  /** Records a ticket given out (or refreshed) whose holder is due back by `due`. */
  ticketed(key: Key, due: number, t: number): void {
    this.sweep(t);
    const i = this.find(key);
    const at = this.outstanding[i];
    if (at && compareKeys(at.key, key) === 0) at.due = due;
    else if (this.outstanding.length < ROOM_DEFAULTS.maxTracked) this.outstanding.splice(i, 0, { key, due });
  }

  /**
   * True when some ticket is out and due (the fast path then looks at the request's own ticket).
   * Reads the clock only when the list is not empty; holders past due are dropped at most once a
   * second, so after a rush the zone is back on the fast path within a second of the last due.
   */
  ticketsOut(now: () => number): boolean {
    if (this.outstanding.length === 0) return false;
    this.sweep(now());
    return this.outstanding.length > 0;
  }

  /** True when a ticket earlier than `key` is out and not expired: its holder goes first. */
  ticketAhead(key: Key, t: number): boolean {
    const list = this.outstanding;
    while (list.length > 0 && list[0]!.due <= t) list.shift();
    return list.length > 0 && compareKeys(list[0]!.key, key) < 0;
  }

  /** A ticket holder is back (queued or admitted): no longer waiting outside. */
  returned(key: Key): void {
    const i = this.find(key);
    const at = this.outstanding[i];
    if (at && compareKeys(at.key, key) === 0) this.outstanding.splice(i, 1);
  }

  /** True while the ticket `entry` may still be let in ahead of later arrivals ({@link ROOM_DEFAULTS.passUses}). */
  mayUse(entry: Entry): boolean {
    return (this.uses.get(`${entry.issued}.${entry.seq}`) ?? 0) < ROOM_DEFAULTS.passUses;
  }

  /** Counts one admission with the ticket `entry`. */
  used(entry: Entry): void {
    const id = `${entry.issued}.${entry.seq}`;
    const n = (this.uses.get(id) ?? 0) + 1;
    this.uses.delete(id);
    this.uses.set(id, n);
    // Least recently used first: a bounded map (a ticket long unused has ended its pass anyway).
    if (this.uses.size > ROOM_DEFAULTS.maxTracked) this.uses.delete(this.uses.keys().next().value!);
  }

  /**
   * When a ticket let in at `t` stops keeping its place: `pass` seconds after its first admission.
   * A ticket already let in (its `until` further ahead than any waiting or countdown ticket's can
   * be) keeps its end; renewing it at every admission made it a place at the front forever.
   */
  passUntil(ticket: { until: number }, t: number): number {
    const waitingAtMost = (ROOM_DEFAULTS.maxRefresh + ROOM_DEFAULTS.grace) * 1000;
    return ticket.until - t > waitingAtMost ? ticket.until : t + ROOM_DEFAULTS.pass * 1000;
  }

  /** Records how long an admitted request held its slot. */
  served(ms: number): void {
    this.serviceMs += (ms - this.serviceMs) * 0.1;
  }

  /** Estimated number of people ahead, plus one: tickets out before `key`, and those queued. */
  place(key: Key): number {
    return this.find(key) + (this.limiter?.queued ?? 0) + 1;
  }

  /** Seconds until `place` is reached, at the zone's current pace. */
  estimateSeconds(place: number): number {
    const concurrent = this.limiter?.options.maxConcurrent ?? 1;
    return (place * this.serviceMs) / 1000 / concurrent;
  }

  /**
   * When the waiting page should reload itself (s): halfway to the estimate, so a holder is back
   * in the queue (where its earlier ticket outranks newcomers) before its turn, not after it.
   */
  refreshSeconds(estimate: number): number {
    return Math.min(ROOM_DEFAULTS.maxRefresh, Math.max(ROOM_DEFAULTS.minRefresh, Math.ceil(estimate / 2)));
  }

  /** Stops the settling poll (a reload replaces the room). */
  dispose(): void {
    if (this.poll) clearInterval(this.poll);
  }
}
