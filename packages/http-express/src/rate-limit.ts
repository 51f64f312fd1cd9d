import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * What the PostgreSQL store needs of a database: run one parameterized statement. The
 * persistence package hands one over its own connection pool (`sqlClient(db)`), so this package
 * never opens a connection of its own.
 */
export interface SqlClient {
  query(q: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Requests allowed, by whom. 0 turns a limit off. */
export interface RateLimitSettings {
  /** Requests per second with one API key (from any address). */
  perKeyPerSecond: number;
  /** Requests per second from one client address, with a key or not. */
  perAddressPerSecond: number;
  /** Requests per minute from one address whose authentication fails (no key, or an unknown, revoked or expired one). */
  failedAuthPerMinute: number;
}

/** Leave ordinary clients alone: a script hammering the API with one key still gets 100 requests a second. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { perKeyPerSecond: 100, perAddressPerSecond: 300, failedAuthPerMinute: 30 };

/** The table the PostgreSQL store keeps its counters in (created by a migration, never at run time). */
export const RATE_LIMIT_TABLE = 'rate_limits';

/**
 * Counts requests against the limits. Each method counts one request and resolves the seconds
 * to wait before the next one is allowed, or null while within the limit. A limit that is off has
 * no method: a request then neither waits for it nor works out what it would count.
 */
export interface RateLimiter {
  address?(ip: string): Promise<number | null>;
  key?(rawKey: string): Promise<number | null>;
  failedAuthentication?(ip: string): Promise<number | null>;
}

type Limiter = RateLimiterMemory | RateLimiterPostgres;

/**
 * Rate limits with counters in this process's memory, or, given `sql`, in PostgreSQL, where every
 * process sharing the database counts against the same limit. A database that fails to answer
 * falls back to counting in memory rather than refusing or waving every request through.
 */
export function createRateLimiter(settings: RateLimitSettings, sql?: SqlClient, opts: { windowSeconds?: number } = {}): RateLimiter {
  // Tests stretch the one-second windows so that a window never ends in the middle of a count.
  const second = opts.windowSeconds ?? 1;
  const make = (keyPrefix: string, points: number, duration: number): Limiter | undefined => {
    if (points <= 0) return undefined;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!sql) return memory;
    return new RateLimiterPostgres({
      storeClient: sql,
      storeType: 'client',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      keyPrefix,
      points,
      duration,
      insuranceLimiter: memory,
    });
  };
  const byAddress = make('address', settings.perAddressPerSecond, second);
  const byKey = make('key', settings.perKeyPerSecond, second);
  const failed = make('auth', settings.failedAuthPerMinute, 60 * second);
  const take = async (limiter: Limiter, id: string): Promise<number | null> => {
    try {
      await limiter.consume(id);
      return null;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw res;
    }
  };
  return {
    ...(byAddress && { address: (ip: string) => take(byAddress, ip) }),
    // The key itself is never stored: its counter is named by a digest of it.
    ...(byKey && { key: (rawKey: string) => take(byKey, createHash('sha256').update(rawKey).digest('base64url').slice(0, 32)) }),
    ...(failed && { failedAuthentication: (ip: string) => take(failed, ip) }),
  };
}
