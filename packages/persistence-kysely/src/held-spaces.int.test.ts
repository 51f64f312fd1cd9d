import type { PipelineFilter, Repositories, Space } from '@signalbox/core';
import { SequentialIds } from '@signalbox/core/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase } from './database';
import { HeldSpaces, RELISTEN_MS, type SpaceWithRole } from './held-spaces';
import { kyselyPersistence } from './index';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY } from './testing/test-database';

const space = (id: string, slug = 'acme'): Space => ({ id, slug, name: slug, createdAt: new Date('2026-11-01T00:00:00Z') });
const answer = (id: string, slug = 'acme'): SpaceWithRole => ({ space: space(id, slug), role: 'viewer', dataVersion: '1' });
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const USER = '00000000-0000-4000-8000-0000000000c1';

describe('HeldSpaces', () => {
  let now = 0;
  const hearing = () => {
    const held = new HeldSpaces(() => now, 1_000);
    held.hear(true);
    return held;
  };

  it('holds an answer for its slug and user, for its time', () => {
    const held = hearing();
    held.hold(held.begin(), 'acme', USER, answer(A));
    expect(held.get('acme', USER)).toEqual(answer(A));
    expect(held.get('acme', 'someone else')).toBeUndefined();
    expect(held.get('other', USER)).toBeUndefined();
    now += 999;
    expect(held.get('acme', USER)).toEqual(answer(A));
    now += 1;
    expect(held.get('acme', USER)).toBeUndefined();
    expect(held.size).toBe(0);
  });

  it("forgets a changed space's answers only, and everything on a write here", () => {
    const held = hearing();
    held.hold(held.begin(), 'acme', USER, answer(A));
    held.hold(held.begin(), 'beta', USER, answer(B, 'beta'));
    held.changed(A);
    expect(held.get('acme', USER)).toBeUndefined();
    expect(held.get('beta', USER)).toEqual(answer(B, 'beta'));
    held.hold(held.begin(), 'acme', USER, answer(A));
    held.forgetAll();
    expect(held.size).toBe(0);
  });

  it('holds no answer read across a change, a write here, or while notices are not heard', () => {
    const held = hearing();
    let begun = held.begin();
    held.changed(B);
    held.hold(begun, 'acme', USER, answer(A));
    expect(held.get('acme', USER)).toBeUndefined();
    begun = held.begin();
    held.forgetAll();
    held.hold(begun, 'acme', USER, answer(A));
    expect(held.get('acme', USER)).toBeUndefined();
    held.hold(held.begin(), 'acme', USER, answer(A));
    held.hear(false);
    expect(held.get('acme', USER)).toBeUndefined();
    held.hold(held.begin(), 'acme', USER, answer(A));
    expect(held.size).toBe(0);
    held.hear(true);
    expect(held.get('acme', USER)).toBeUndefined();
  });
});

/** Polls until `held` no longer answers, as a notice takes a moment to come (held answers live far longer than this waits). */
async function forgotten(read: () => unknown) {
  for (let i = 0; i < 500 && read() !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
  return read();
}

describe('answers held while the database is heard, on PostgreSQL (ADR 0024)', () => {
  let here: Database; // the API's process
  let there: Database; // another process on the same database
  let schema: string;
  let repos: Repositories;
  let uow: ReturnType<typeof kyselyPersistence>['uow'];
  let held: HeldSpaces;

  beforeAll(async () => {
    const first = await openTestDatabase('postgres', 'held');
    schema = first.schema!;
    await first.db.destroy();
    // Named, so that the test ends its own listening connection and no other file's.
    const named = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=${schema}`;
    here = await openDatabase({ databaseUrl: named, schema, poolSize: 3, holdSpaces: { forMs: 600_000 } });
    there = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 });
    held = here.held!;
    ({ repos, uow } = kyselyPersistence(here.db, { secretKey: TEST_SECRET_KEY, ids: new SequentialIds(), held }));
  }, 60_000);
  afterAll(async () => {
    await here?.close();
    await there?.close();
    await dropSchema(schema);
  });

  let ids = 0;
  /** A new space with a viewer. Writing it here forgets everything held. */
  async function newSpace() {
    const n = ++ids;
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const userId = `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
    const slug = `space-${n}`;
    await repos.spaces.create(space(id, slug));
    await repos.users.create({ id: userId, email: `u${n}@example.com`, name: 'U', instanceAdmin: false, createdAt: new Date() });
    await repos.memberships.put({ spaceId: id, userId, role: 'viewer', createdAt: new Date() });
    return { id, userId, slug, heldNow: () => repos.spaces.heldBySlugWithRole!(slug, userId) };
  }
  let marks = 0;
  /** Waits for the notices of every write committed so far: they come in commit order, so once a mark sent after them has come. */
  async function quiet() {
    const mark = `mark-${++marks}`;
    const heard = jest.spyOn(held, 'changed');
    try {
      await sql`SELECT pg_notify('signalbox_space_changes', ${mark})`.execute(there.db);
      for (let i = 0; i < 500 && !heard.mock.calls.some(([id]) => id === mark); i++) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toHaveBeenCalledWith(mark);
    } finally {
      heard.mockRestore();
    }
  }
  /** Reads the spaces here, once the notices of the writes before are in, and finds their answers held. */
  async function hold(...spaces: Awaited<ReturnType<typeof newSpace>>[]) {
    await quiet();
    for (const s of spaces) await repos.spaces.getBySlugWithRole(s.slug, s.userId);
    for (const s of spaces) expect(s.heldNow()).toEqual({ space: space(s.id, s.slug), role: 'viewer', dataVersion: '0' });
  }
  async function heldSpace() {
    const s = await newSpace();
    await hold(s);
    return s;
  }

  it('forgets a space when another process raises its data version, changes a membership or the space', async () => {
    const writes: ((s: { id: string; userId: string }) => Promise<unknown>)[] = [
      (s) => sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${s.id}`.execute(there.db),
      (s) => sql`UPDATE memberships SET role = 'admin' WHERE space_id = ${s.id} AND user_id = ${s.userId}`.execute(there.db),
      (s) => sql`DELETE FROM memberships WHERE space_id = ${s.id}`.execute(there.db),
      (s) => sql`UPDATE spaces SET slug = 'renamed-' || slug WHERE id = ${s.id}`.execute(there.db),
      (s) => sql`DELETE FROM spaces WHERE id = ${s.id}`.execute(there.db),
    ];
    for (const write of writes) {
      const s = await newSpace();
      const other = await newSpace();
      await hold(s, other);
      await write(s);
      expect(await forgotten(s.heldNow)).toBeUndefined();
      // Another space's answer stays.
      expect(other.heldNow()).toBeDefined();
    }
    // A membership added: an answer read with no role goes too.
    const s = await heldSpace();
    const newcomer = '00000000-0000-4000-9000-0000000000ff';
    await repos.users.create({ id: newcomer, email: 'new@example.com', name: 'N', instanceAdmin: false, createdAt: new Date() });
    await quiet();
    expect((await repos.spaces.getBySlugWithRole(s.slug, newcomer))?.role).toBeNull();
    expect(repos.spaces.heldBySlugWithRole!(s.slug, newcomer)?.role).toBeNull();
    await sql`INSERT INTO memberships (space_id, user_id, role, created_at) VALUES (${s.id}, ${newcomer}, 'viewer', now())`.execute(there.db);
    expect(await forgotten(() => repos.spaces.heldBySlugWithRole!(s.slug, newcomer))).toBeUndefined();
  });

  it('keeps a space that a rolled-back transaction wrote to', async () => {
    const s = await newSpace();
    const later = await newSpace();
    await hold(s, later);
    await there.db
      .transaction()
      .execute(async (trx) => {
        await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${s.id}`.execute(trx);
        throw new Error('rolled back');
      })
      .catch(() => {});
    // Notices come in commit order: once a later one has come, the rolled-back one never will.
    await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${later.id}`.execute(there.db);
    expect(await forgotten(later.heldNow)).toBeUndefined();
    expect(s.heldNow()).toBeDefined();
  });

  it("forgets everything at once when this process writes, before the write's caller goes on", async () => {
    const s = await heldSpace();
    await sql`UPDATE teams SET name = name WHERE false`.execute(here.db);
    expect(s.heldNow()).toBeUndefined();
    // Reads do not: those of an authentication, a list with its filters (its total, its page, its
    // JSON) and a detail among them.
    const again = await heldSpace();
    const since = new Date(Date.now() - 7 * 86_400_000);
    const pipeline = '00000000-0000-4000-8000-0000000000ee';
    await sql`SELECT 1`.execute(here.db);
    await repos.apiKeys.getWithUserByHash('no such hash');
    const filters: PipelineFilter[] = [{}, { q: 'orders', status: ['error'], criticality: ['high'], owner: 'sales', watchedOnly: true, includeRemoved: true }];
    for (const filter of filters) {
      const query = { filter, page: { page: 1, perPage: 20 }, viewerId: again.userId, days: 7, since };
      await repos.pipelines.listRendered(again.id, query, { id: 'id', name: 'name', summary: { runs: 'summary.runs' } });
      await repos.pipelines.list(again.id, query);
    }
    await repos.pipelines.view(again.id, pipeline, again.userId, since, 7);
    await repos.runs.latest(again.id, pipeline);
    await repos.pipelines.dataVersion(again.id);
    expect(again.heldNow()).toBeDefined();
    // A unit of work's commit does, and its reads are never held (they could be rolled back).
    await uow.run(async (r) => {
      await r.teams.create({ id: '00000000-0000-4000-a000-000000000001', spaceId: again.id, name: 'Ours', createdAt: new Date() });
      expect(again.heldNow()).toBeUndefined(); // the insert, in the unit
    });
    await hold(again);
    await uow.run(async () => {});
    expect(again.heldNow()).toBeUndefined(); // the commit
    await uow.run(async (r) => {
      await r.spaces.getBySlugWithRole(again.slug, again.userId);
      expect(again.heldNow()).toBeUndefined();
    });
    // The same read outside a unit is held (no notice is on its way: teams send none).
    await repos.spaces.getBySlugWithRole(again.slug, again.userId);
    expect(again.heldNow()).toBeDefined();
  });

  it('holds nothing while its connection is lost, and listens again after it', async () => {
    const s = await heldSpace();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query = 'LISTEN signalbox_space_changes'`,
        [schema],
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    expect(await forgotten(s.heldNow)).toBeUndefined();
    await repos.spaces.getBySlugWithRole(s.slug, s.userId);
    expect(s.heldNow()).toBeUndefined();
    // Listening again, it holds what it reads and hears of changes as before.
    await new Promise((r) => setTimeout(r, RELISTEN_MS + 500));
    const back = await heldSpace();
    await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${back.id}`.execute(there.db);
    expect(await forgotten(back.heldNow)).toBeUndefined();
  });

  it('holds nothing on a database opened without it, or on PGlite', async () => {
    expect(there.held).toBeUndefined();
    const embedded = await openTestDatabase('pglite');
    try {
      expect(embedded.held).toBeUndefined();
    } finally {
      await embedded.close();
    }
  });
});
