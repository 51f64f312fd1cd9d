import { buildApp, createRateLimiter, type RateLimitSettings } from '@signalbox/http-express';
import { type Database, migrateToLatest, sqlClient } from '@signalbox/persistence-kysely';
import { sql } from 'kysely';
import request from 'supertest';
import { buildContainer } from './container';
import { freshDatabase, testConfig } from './test-support';
import { T } from './tokens';

jest.setTimeout(60_000);

const KEY = 'sbx_rate_limit_test_key_0123456789abcdef';
const OTHER_KEY_GUESS = 'sbx_not_a_key_0123456789abcdefghijkl';
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
type App = ReturnType<typeof buildApp>;

/** One API process: the container's services on `db`, with limits counted in PostgreSQL or in memory. */
async function apiProcess(settings: RateLimitSettings, databaseUrl: string | null) {
  const config = testConfig({ secretKey: 'rate-limit-secret-0123456789', inMemoryDatabase: !databaseUrl, databaseUrl });
  const c = buildContainer(config);
  const db: Database = await c.getAsync(T.database);
  await migrateToLatest(db.db);
  const services = await c.getAsync(T.services);
  await services.access.bootstrapAdminKey(KEY);
  // The windows are stretched to a minute, so a count never straddles the end of a second.
  const limiter = createRateLimiter(settings, databaseUrl ? sqlClient(db.db) : undefined, { windowSeconds: 60 });
  const app = buildApp(services, { ready: async () => {}, rateLimiter: limiter });
  return { app, db, close: () => db.close().then(() => config.cleanup()) };
}

/** Statuses of `n` requests, one after the other, each to the app whose turn it is. */
async function statuses(apps: App[], n: number, key = KEY): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      (
        await request(apps[i % apps.length])
          .get('/api/v1.0/me')
          .set(auth(key))
      ).status,
    );
  return out;
}

const NO_LIMIT = { perKeyPerSecond: 0, perAddressPerSecond: 0, failedAuthPerMinute: 0 };

describe.each([
  ['in memory (embedded database)', null],
  ['in PostgreSQL', 'postgres'],
] as const)('rate limits, counted %s', (_label, flavour) => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  const opened: { close(): Promise<void> }[] = [];
  const open = async (settings: Partial<RateLimitSettings>) => {
    const p = await apiProcess({ ...NO_LIMIT, ...settings }, database?.url ?? null);
    opened.push(p);
    return p;
  };
  beforeEach(async () => {
    if (flavour) database = await freshDatabase('ratelimit');
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
    await database?.drop();
  });

  it('answers 429 RATE_LIMITED with Retry-After in the error shape past the per-key limit', async () => {
    const { app } = await open({ perKeyPerSecond: 5 });
    expect(await statuses([app], 7)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const res = await request(app).get('/api/v1.0/me').set(auth(KEY));
    expect(res.status).toBe(429);
    const wait = Number(res.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(res.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/API key/), details: [], retry_after_seconds: wait } });
  });

  it('limits one address across keys and without a key', async () => {
    const { app } = await open({ perAddressPerSecond: 4 });
    expect(await statuses([app], 3)).toEqual([200, 200, 200]);
    expect((await request(app).get('/api/v1.0/me')).status).toBe(401);
    const over = await request(app).get('/api/v1.0/me');
    expect([over.status, over.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    // Health checks are not the API: never limited.
    expect((await request(app).get('/health/live')).status).toBe(200);
  });

  it('counts only failed authentications against the failed-authentication limit, and never refuses a valid key for them', async () => {
    const { app } = await open({ failedAuthPerMinute: 3 });
    // Valid requests first: they do not count.
    expect(new Set(await statuses([app], 20))).toEqual(new Set([200]));
    expect(await statuses([app], 4, OTHER_KEY_GUESS)).toEqual([401, 401, 401, 429]);
    const none = await request(app).get('/api/v1.0/me');
    expect([none.status, none.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(none.body.error.message).toMatch(/failed authentications/);
    // The same address with a valid key is still served.
    expect(await statuses([app], 3)).toEqual([200, 200, 200]);
  });

  if (flavour) {
    it('shares the counts between processes on one database', async () => {
      const a = await open({ perKeyPerSecond: 6, failedAuthPerMinute: 2 });
      const b = await open({ perKeyPerSecond: 6, failedAuthPerMinute: 2 });
      // Alternating between the two processes: the 7th request in all is the first refused.
      expect(await statuses([a.app, b.app], 8)).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
      expect(await statuses([a.app, b.app], 3, OTHER_KEY_GUESS)).toEqual([401, 401, 429]);
      const rows = await sql<{ key: string }>`SELECT key FROM rate_limits ORDER BY key`.execute(a.db.db);
      // Keys are never stored: only a digest names their counter.
      expect(rows.rows.map((r) => r.key).join(' ')).not.toContain(KEY);
      expect(rows.rows.some((r) => r.key.startsWith('key:'))).toBe(true);
    });
  }
});

describe('rate limits as the process configures them', () => {
  it('leave an ordinary client alone: 60 concurrent requests with one key all pass on the defaults', async () => {
    const config = testConfig({ secretKey: 'rate-limit-secret-0123456789', inMemoryDatabase: true });
    const c = buildContainer(config);
    const db = await c.getAsync(T.database);
    try {
      await migrateToLatest(db.db);
      await (await c.getAsync(T.services)).access.bootstrapAdminKey(KEY);
      const app = await c.getAsync(T.app);
      const all = await Promise.all(Array.from({ length: 60 }, () => request(app).get('/api/v1.0/me').set(auth(KEY))));
      expect(new Set(all.map((r) => r.status))).toEqual(new Set([200]));
      // And the limit exists: the configured per-key limit at 2 refuses the third.
      const tight = buildContainer({ ...config, rateLimits: { ...config.rateLimits, perKeyPerSecond: 2 } });
      tight.rebind(T.database).toConstantValue(db);
      const limited = await tight.getAsync(T.app);
      const burst = await Promise.all(Array.from({ length: 3 }, () => request(limited).get('/api/v1.0/me').set(auth(KEY))));
      expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    } finally {
      await db.close();
      config.cleanup();
    }
  });
});
