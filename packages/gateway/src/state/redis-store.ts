/**
 * The fleet's security state in Redis (`sharedState.redis`): lockouts in one sorted set (member =
 * key, score = end in ms), failure windows in one sorted set per key, revocations in one sorted
 * set, and every change published on one channel so each gateway's in-memory mirror follows.
 * Counting a failure is one Lua script — prune the window, add, count, lock, publish — so
 * replicas cannot race each other past a threshold, in one round trip.
 *
 * Commands fail fast while Redis is away (no offline queue, a short command timeout): the caller
 * falls back to its local store at once instead of holding a login for seconds. ioredis keeps
 * reconnecting and re-subscribes by itself; `onStatus` says when Redis comes and goes.
 */
import { Redis } from 'ioredis';
import type { FailureKey, FailureResult } from './local-store.js';

/** A change to the shared state, as published to every gateway (and between cluster workers). */
export type StateEvent =
  | { k: 'lock'; key: string; until: number }
  | { k: 'unlock'; key: string }
  | { k: 'revoke'; sid: string; until: number };

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  url: string;
  /** Prefix of every key and of the channel. @default 'resultgate:' */
  prefix?: string;
  /** Told every event published by any gateway (this one included). */
  onEvent: (event: StateEvent) => void;
  /** Told when Redis becomes usable (true) or stops being so (false, with the error). */
  onStatus: (up: boolean, error?: unknown) => void;
  /** Longest wait for one command before the caller falls back. @default 500 */
  commandTimeout?: number;
}

// KEYS[1] the locks set, KEYS[2..] each key's failure set; ARGV: now, window, duration, member,
// then (key, max) per failure set, then the channel. Returns (until, started) per key.
const FAIL_SCRIPT = `
local now, window, dur = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 2, #KEYS do
  local key, max = ARGV[5 + (i - 2) * 2], tonumber(ARGV[6 + (i - 2) * 2])
  local untilMs = tonumber(redis.call('ZSCORE', KEYS[1], key) or '0')
  local started = 0
  if untilMs <= now then
    untilMs = 0
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    redis.call('ZADD', KEYS[i], now, ARGV[4] .. ':' .. i)
    redis.call('PEXPIRE', KEYS[i], window)
    if redis.call('ZCARD', KEYS[i]) >= max then
      untilMs = now + dur
      redis.call('ZADD', KEYS[1], untilMs, key)
      redis.call('DEL', KEYS[i])
      redis.call('PUBLISH', ARGV[#ARGV], cjson.encode({k = 'lock', key = key, ['until'] = untilMs}))
      started = 1
    end
  end
  out[#out + 1] = tostring(untilMs)
  out[#out + 1] = started
end
return out
`;

/** The Redis side of {@link SecurityState}. */
export class RedisStore {
  private readonly client: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly locksKey: string;
  private readonly revokedKey: string;
  /** True while commands reach Redis. */
  up = false;
  /** The last status told to `onStatus` (undefined before the first). */
  private reported: boolean | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'resultgate:';
    this.channel = `${this.prefix}events`;
    this.locksKey = `${this.prefix}locks`;
    this.revokedKey = `${this.prefix}revoked`;
    const common = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: options.commandTimeout ?? 500,
      // Keep trying, at most every 2 s: the gateway serves from its local store meanwhile.
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    this.client = new Redis(options.url, common);
    // Subscribers must be allowed to queue (the subscribe is replayed on reconnect).
    this.sub = new Redis(options.url, { ...common, enableOfflineQueue: true, commandTimeout: undefined });
    this.client.defineCommand('rgFail', { lua: FAIL_SCRIPT });
    this.client.on('ready', () => {
      if (this.up) return;
      this.up = true;
      this.reported = true;
      options.onStatus(true);
    });
    // Reported once per change — and also when Redis is unreachable from the start.
    const down = (err?: unknown) => {
      if (this.reported === false) return;
      this.up = false;
      this.reported = false;
      options.onStatus(false, err);
    };
    this.client.on('error', (err) => down(err));
    this.client.on('close', () => down(new Error('connection closed')));
    this.sub.on('error', () => {}); // reported through the main client
    this.sub.on('message', (_channel: string, text: string) => {
      try {
        options.onEvent(JSON.parse(text) as StateEvent);
      } catch {}
    });
    void this.sub.subscribe(this.channel).catch(() => {});
  }

  /** Marks Redis down after a failed command (the connection may not have noticed yet). */
  failed(err: unknown): void {
    if (!this.up) return;
    this.up = false;
    this.reported = false;
    this.options.onStatus(false, err);
    // Come back through 'ready' once a command works again: ping until then.
    const retry = setInterval(() => {
      this.client.ping().then(
        () => {
          clearInterval(retry);
          if (!this.up) {
            this.up = true;
            this.reported = true;
            this.options.onStatus(true);
          }
        },
        () => {},
      );
    }, 1000);
    retry.unref();
  }

  private failureKey(key: string): string {
    return `${this.prefix}f:${key}`;
  }

  /** The end of each key's lockout (0 when none), one round trip. */
  async locks(keys: readonly string[]): Promise<number[]> {
    const scores = await this.client.zmscore(this.locksKey, ...keys);
    return scores.map((s) => (s === null ? 0 : Number(s)));
  }

  /** Counts one failure on each key (the script above), one round trip. */
  async fail(keys: readonly FailureKey[], window: number, duration: number, now: number) {
    const member = `${now}:${Math.random().toString(36).slice(2)}`;
    const args: (string | number)[] = [keys.length + 1, this.locksKey];
    for (const { key } of keys) args.push(this.failureKey(key));
    args.push(now, window, duration, member);
    for (const { key, max } of keys) args.push(key, max);
    args.push(this.channel);
    const out = (await (
      this.client as unknown as { rgFail(...a: (string | number)[]): Promise<(string | number)[]> }
    ).rgFail(...args)) as (string | number)[];
    const results: FailureResult[] = keys.map(({ key }, i) => ({
      key,
      until: Number(out[i * 2]),
      started: Number(out[i * 2 + 1]) === 1,
    }));
    return results;
  }

  /** Records a lockout that began while Redis was away (keeps the later end) and announces it. */
  async setLock(key: string, until: number): Promise<void> {
    await this.client
      .multi()
      .zadd(this.locksKey, 'GT', until, key)
      .publish(this.channel, JSON.stringify({ k: 'lock', key, until }))
      .exec();
  }

  /** Forgets a key's failure window (a successful login, for the user's key). */
  async clearFailures(key: string): Promise<void> {
    await this.client.del(this.failureKey(key));
  }

  /** Ends a lockout everywhere. @returns whether Redis had it locked */
  async unlock(key: string, now: number): Promise<boolean> {
    const res = await this.client
      .multi()
      .zscore(this.locksKey, key)
      .zrem(this.locksKey, key)
      .del(this.failureKey(key))
      .publish(this.channel, JSON.stringify({ k: 'unlock', key }))
      .exec();
    const score = res?.[0]?.[1];
    return typeof score === 'string' && Number(score) > now;
  }

  /** Ends a session on every gateway until `until`. */
  async revoke(sid: string, until: number): Promise<void> {
    await this.client
      .multi()
      .zadd(this.revokedKey, 'GT', until, sid)
      .publish(this.channel, JSON.stringify({ k: 'revoke', sid, until }))
      .exec();
  }

  /** Everything still in force at `now` (loaded when Redis comes up); drops what has expired. */
  async load(now: number) {
    const [, , locks, revoked] =
      (await this.client
        .multi()
        .zremrangebyscore(this.locksKey, '-inf', now)
        .zremrangebyscore(this.revokedKey, '-inf', now)
        .zrangebyscore(this.locksKey, `(${now}`, '+inf', 'WITHSCORES')
        .zrangebyscore(this.revokedKey, `(${now}`, '+inf', 'WITHSCORES')
        .exec()) ?? [];
    const pairs = (r: [Error | null, unknown] | undefined) => {
      const flat = (r?.[1] as string[] | undefined) ?? [];
      const out: Array<[string, number]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
      return out;
    };
    return { locks: pairs(locks), revoked: pairs(revoked) };
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    this.up = false;
    this.client.disconnect();
    this.sub.disconnect();
  }
}
