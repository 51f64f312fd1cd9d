import request from 'supertest';
import { buildContainer } from './container';
import { freshDatabase, testConfig } from './test-support';
import { T } from './tokens';

jest.setTimeout(60_000);

// The last-admin rule under concurrency, through the real wiring on PostgreSQL: its unit of work
// locks the space's admins, so two changes that each leave one admin cannot both pass.
describe('the last admin of a space under concurrent requests (PostgreSQL)', () => {
  const KEY = 'sbx_members_test_key_0123456789abcdef';
  const auth = { Authorization: `Bearer ${KEY}` };
  let database: { url: string; drop(): Promise<void> };
  let app: Parameters<typeof request>[0];
  let close: () => Promise<void>;
  const admins: string[] = [];

  const members = async () => (await request(app).get('/api/v1.0/spaces/duo/members').set(auth).expect(200)).body as { user_id: string; role: string }[];
  const adminsLeft = async () => (await members()).filter((m) => m.role === 'admin').map((m) => m.user_id);

  beforeAll(async () => {
    database = await freshDatabase('members');
    // Rounds of requests as fast as they go, with one key: no rate limit (its own tests are elsewhere).
    const config = testConfig({
      databaseUrl: database.url,
      secretKey: 'members-test-secret-0123',
      rateLimits: { perKeyPerSecond: 0, perAddressPerSecond: 0, failedAuthPerMinute: 0 },
    });
    const c = buildContainer(config);
    const db = await c.getAsync(T.database);
    const { migrateToLatest } = await import('@signalbox/persistence-kysely');
    await migrateToLatest(db.db);
    await (await c.getAsync(T.services)).access.bootstrapAdminKey(KEY);
    app = await c.getAsync(T.app);
    close = async () => {
      await db.close();
      config.cleanup();
    };
    const root = (await request(app).get('/api/v1.0/me').set(auth).expect(200)).body.id;
    await request(app).post('/api/v1.0/spaces').set(auth).send({ slug: 'duo', name: 'Duo' }).expect(201);
    for (const name of ['a', 'b']) {
      const user = await request(app)
        .post('/api/v1.0/users')
        .set(auth)
        .send({ email: `${name}@example.com`, name })
        .expect(201);
      admins.push(user.body.id);
    }
    // The instance admin made the space; it leaves, so the space has exactly the two admins.
    for (const id of admins) await request(app).put(`/api/v1.0/spaces/duo/members/${id}`).set(auth).send({ role: 'admin' }).expect(200);
    await request(app).delete(`/api/v1.0/spaces/duo/members/${root}`).set(auth).expect(204);
  });
  afterAll(async () => {
    await close?.();
    await database?.drop();
  });

  const demote = (id: string) => request(app).put(`/api/v1.0/spaces/duo/members/${id}`).set(auth).send({ role: 'viewer' });
  const remove = (id: string) => request(app).delete(`/api/v1.0/spaces/duo/members/${id}`).set(auth);

  it.each([
    ['two demotions', demote, demote],
    ['two removals', remove, remove],
    ['a demotion and a removal', demote, remove],
  ])('lets exactly one of %s pass, the other is 409 LAST_ADMIN, and one admin stays (ten rounds)', async (_label, first, second) => {
    for (let round = 0; round < 10; round++) {
      expect(await adminsLeft()).toHaveLength(2);
      const [a, b] = await Promise.all([first(admins[0]), second(admins[1])]);
      const passed = [a, b].filter((res) => res.status === 200 || res.status === 204);
      const refused = [a, b].filter((res) => res.status === 409);
      expect([passed.length, refused.length]).toEqual([1, 1]);
      expect(refused[0].body.error.code).toBe('LAST_ADMIN');
      const left = await adminsLeft();
      expect(left).toHaveLength(1);
      // Make the other one admin again for the next round.
      const other = admins.find((id) => id !== left[0])!;
      await request(app).put(`/api/v1.0/spaces/duo/members/${other}`).set(auth).send({ role: 'admin' }).expect(200);
    }
  });
});
