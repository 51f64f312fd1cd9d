import { newConnector, type PipelineFilter, type Repositories, type Space, type SpaceWithRole } from '@signalbox/core';
import { SequentialIds } from '@signalbox/core/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase } from './database';
import { kyselyPersistence } from './index';
import { forgetOnWrite, forgets, KeptSpaces, RELISTEN_MS, SpaceChangeListener } from './kept-spaces';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY } from './testing/test-database';

const space = (id: string, slug = 'acme'): Space => ({ id, slug, name: slug, createdAt: new Date('2026-11-01T00:00:00Z') });
const answer = (id: string, slug = 'acme'): SpaceWithRole => ({ space: space(id, slug), role: 'viewer', dataVersion: '1' });
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const USER = '00000000-0000-4000-8000-0000000000c1';

describe('KeptSpaces', () => {
  let now = 0;
  const hearing = () => {
    const kept = new KeptSpaces(() => now, 1_000);
    kept.hear(true);
    return kept;
  };

  it('keeps an answer for its slug and user, for its time', () => {
    const kept = hearing();
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    expect(kept.get('acme', USER)).toEqual(answer(A));
    expect(kept.get('acme', 'someone else')).toBeUndefined();
    expect(kept.get('other', USER)).toBeUndefined();
    now += 999;
    expect(kept.get('acme', USER)).toEqual(answer(A));
    now += 1;
    expect(kept.get('acme', USER)).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it("forgets a changed space's answers only, and everything on a write here", () => {
    const kept = hearing();
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    kept.keep(kept.begin(), 'beta', USER, answer(B, 'beta'));
    kept.changed(A);
    expect(kept.get('acme', USER)).toBeUndefined();
    expect(kept.get('beta', USER)).toEqual(answer(B, 'beta'));
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    kept.forgetAll();
    expect(kept.size).toBe(0);
    // A notice of every space (a TRUNCATE).
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    kept.changed('*');
    expect(kept.size).toBe(0);
  });

  it('keeps the newest answers up to its bound, and one answer per slug and user', () => {
    const kept = new KeptSpaces(() => now, 1_000, 2);
    kept.hear(true);
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    kept.keep(kept.begin(), 'beta', USER, answer(B, 'beta'));
    kept.keep(kept.begin(), 'gamma', USER, answer(B, 'gamma'));
    expect(kept.get('acme', USER)).toBeUndefined();
    expect(kept.get('gamma', USER)).toEqual(answer(B, 'gamma'));
    expect(kept.size).toBe(2);
    // The slug now names another space: a notice of the old one leaves the new answer.
    kept.keep(kept.begin(), 'beta', USER, answer(A, 'beta'));
    kept.changed(B);
    expect(kept.get('beta', USER)).toEqual(answer(A, 'beta'));
    expect(kept.get('gamma', USER)).toBeUndefined();
  });

  it('keeps no answer read across a change, a write here, or while notices are not heard or start to be', () => {
    const kept = hearing();
    let begun = kept.begin();
    kept.changed(B);
    kept.keep(begun, 'acme', USER, answer(A));
    expect(kept.get('acme', USER)).toBeUndefined();
    begun = kept.begin();
    kept.forgetAll();
    kept.keep(begun, 'acme', USER, answer(A));
    expect(kept.get('acme', USER)).toBeUndefined();
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    kept.hear(false);
    expect(kept.get('acme', USER)).toBeUndefined();
    kept.keep(kept.begin(), 'acme', USER, answer(A));
    expect(kept.size).toBe(0);
    kept.hear(true);
    expect(kept.get('acme', USER)).toBeUndefined();
    // Heard again (a new connection): what was kept, and what was read before, goes.
    begun = kept.begin();
    kept.keep(kept.begin(), 'beta', USER, answer(B, 'beta'));
    kept.hear(true);
    expect(kept.get('beta', USER)).toBeUndefined();
    kept.keep(begun, 'acme', USER, answer(A));
    expect(kept.size).toBe(0);
  });
});

describe('which statements forget what is kept', () => {
  it.each([
    ['a write', 'UPDATE pipelines SET name = $1', true],
    ['a commit', 'commit', true],
    ['a data-modifying CTE, even into jobs', 'WITH j AS (INSERT INTO jobs (id) VALUES ($1) RETURNING id) SELECT * FROM j', true],
    ['a procedure', 'CALL refresh_things()', true],
    ['an END', 'END', true],
    ['a table whose name starts like an exempt one', 'update "jobs_archive" set "x" = $1', true],
    ['several statements, the first exempt', 'UPDATE jobs SET x = 1; DELETE FROM memberships', true],
    ['anything but text', undefined, true],
    ['a read', 'select "s"."id" from "spaces" as "s" where "s"."updated_at" > $1', false],
    ['a read with a CASE … END', 'SELECT CASE WHEN deleted THEN 1 END FROM pipelines', false],
    [
      "the rate limiter's count",
      '\n            INSERT INTO "rate_limits" VALUES ($1, $2, $3)\n              ON CONFLICT(key) DO UPDATE SET points = 1;',
      false,
    ],
    ["the rate limiter's count, in a schema", 'INSERT INTO "sbx"."rate_limits" VALUES ($1, $2, $3)', false],
    ["the rate limiter's clean-up", 'DELETE FROM "rate_limits" WHERE expire < $1', false],
    ['a job enqueued', 'insert into "jobs" ("id", "name") values ($1, $2) on conflict ("key") do nothing returning *', false],
    ['a job claimed', 'update "jobs" set "lease_token" = $1 where "id" in (select "id" from "jobs" for update skip locked) returning *', false],
    ['a job finished', 'delete from "jobs" where "id" = $1 and "lease_token" = $2', false],
  ])('%s', (_name, text, forgetting) => {
    expect(forgets(text)).toBe(forgetting);
  });
});

/** Polls until `kept` no longer answers, as a notice takes a moment to come (kept answers live far longer than this waits). */
async function forgotten(read: () => unknown) {
  for (let i = 0; i < 500 && read() !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
  return read();
}

describe('answers kept while the database is heard, on PostgreSQL (ADR 0024)', () => {
  let here: Database; // the API's process
  let there: Database; // another process on the same database
  let schema: string;
  let repos: Repositories;
  let uow: ReturnType<typeof kyselyPersistence>['uow'];
  let kept: KeptSpaces;

  beforeAll(async () => {
    const first = await openTestDatabase('postgres', 'kept');
    schema = first.schema!;
    await first.db.destroy();
    // Named, so that the test ends its own listening connection and no other file's.
    const named = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=${schema}`;
    here = await openDatabase({ databaseUrl: named, schema, poolSize: 3, keepSpaces: { forMs: 600_000 } });
    there = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 });
    kept = here.kept!;
    ({ repos, uow } = kyselyPersistence(here.db, { secretKey: TEST_SECRET_KEY, ids: new SequentialIds(), kept }));
  }, 60_000);
  afterAll(async () => {
    await here?.close();
    await there?.close();
    await dropSchema(schema);
  });

  let ids = 0;
  /** A new space with a viewer. Writing it here forgets everything kept. */
  async function newSpace() {
    const n = ++ids;
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const userId = `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
    const slug = `space-${n}`;
    await repos.spaces.create(space(id, slug));
    await repos.users.create({ id: userId, email: `u${n}@example.com`, name: 'U', instanceAdmin: false, createdAt: new Date() });
    await repos.memberships.put({ spaceId: id, userId, role: 'viewer', createdAt: new Date() });
    return { id, userId, slug, keptNow: () => repos.spaces.keptBySlugWithRole!(slug, userId) };
  }
  let marks = 0;
  /** Waits for the notices of every write committed so far: they come in commit order, so once a mark sent after them has come. */
  async function quiet() {
    const mark = `mark-${++marks}`;
    const heard = jest.spyOn(kept, 'changed');
    try {
      await sql`SELECT pg_notify('signalbox_space_changes', ${mark})`.execute(there.db);
      for (let i = 0; i < 500 && !heard.mock.calls.some(([id]) => id === mark); i++) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toHaveBeenCalledWith(mark);
    } finally {
      heard.mockRestore();
    }
  }
  /** Reads the spaces here, once the notices of the writes before are in, and finds their answers kept. */
  async function keep(...spaces: Awaited<ReturnType<typeof newSpace>>[]) {
    await quiet();
    for (const s of spaces) await repos.spaces.getBySlugWithRole(s.slug, s.userId);
    for (const s of spaces) expect(s.keptNow()).toEqual({ space: space(s.id, s.slug), role: 'viewer', dataVersion: '0' });
  }
  async function keptSpace() {
    const s = await newSpace();
    await keep(s);
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
      await keep(s, other);
      await write(s);
      expect(await forgotten(s.keptNow)).toBeUndefined();
      // Another space's answer stays.
      expect(other.keptNow()).toBeDefined();
    }
    // A membership moved to another space: both spaces' answers go.
    const from = await newSpace();
    const to = await newSpace();
    await keep(from, to);
    await sql`UPDATE memberships SET space_id = ${to.id} WHERE space_id = ${from.id}`.execute(there.db);
    expect(await forgotten(from.keptNow)).toBeUndefined();
    expect(await forgotten(to.keptNow)).toBeUndefined();
    // A membership added: an answer read with no role goes too.
    const s = await keptSpace();
    const newcomer = '00000000-0000-4000-9000-0000000000ff';
    await repos.users.create({ id: newcomer, email: 'new@example.com', name: 'N', instanceAdmin: false, createdAt: new Date() });
    await quiet();
    expect((await repos.spaces.getBySlugWithRole(s.slug, newcomer))?.role).toBeNull();
    expect(repos.spaces.keptBySlugWithRole!(s.slug, newcomer)?.role).toBeNull();
    await sql`INSERT INTO memberships (space_id, user_id, role, created_at) VALUES (${s.id}, ${newcomer}, 'viewer', now())`.execute(there.db);
    expect(await forgotten(() => repos.spaces.keptBySlugWithRole!(s.slug, newcomer))).toBeUndefined();
  });

  it('keeps a space that a rolled-back transaction wrote to', async () => {
    const s = await newSpace();
    const later = await newSpace();
    await keep(s, later);
    await there.db
      .transaction()
      .execute(async (trx) => {
        await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${s.id}`.execute(trx);
        throw new Error('rolled back');
      })
      .catch(() => {});
    // Notices come in commit order: once a later one has come, the rolled-back one never will.
    await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${later.id}`.execute(there.db);
    expect(await forgotten(later.keptNow)).toBeUndefined();
    expect(s.keptNow()).toBeDefined();
  });

  it("forgets everything at once when this process writes, before the write's caller goes on", async () => {
    const s = await keptSpace();
    await sql`UPDATE teams SET name = name WHERE false`.execute(here.db);
    expect(s.keptNow()).toBeUndefined();
    // Reads do not: those of an authentication, a list with its filters (its total, its page, its
    // JSON) and a detail among them.
    const again = await keptSpace();
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
    expect(again.keptNow()).toBeDefined();
    // A unit of work's commit does, and its reads are never kept (they could be rolled back).
    await uow.run(async (r) => {
      await r.teams.create({ id: '00000000-0000-4000-a000-000000000001', spaceId: again.id, name: 'Ours', createdAt: new Date() });
      expect(again.keptNow()).toBeUndefined(); // the insert, in the unit
    });
    await keep(again);
    await uow.run(async () => {});
    expect(again.keptNow()).toBeUndefined(); // the commit
    await uow.run(async (r) => {
      await r.spaces.getBySlugWithRole(again.slug, again.userId);
      expect(again.keptNow()).toBeUndefined();
    });
    // The same read outside a unit is kept (no notice is on its way: teams send none).
    await repos.spaces.getBySlugWithRole(again.slug, again.userId);
    expect(again.keptNow()).toBeDefined();
  });

  it('keeps nothing while its connection is lost, and listens again after it', async () => {
    const s = await keptSpace();
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
    expect(await forgotten(s.keptNow)).toBeUndefined();
    await repos.spaces.getBySlugWithRole(s.slug, s.userId);
    expect(s.keptNow()).toBeUndefined();
    // Listening again, it keeps what it reads and hears of changes as before.
    await new Promise((r) => setTimeout(r, RELISTEN_MS + 500));
    const back = await keptSpace();
    await sql`UPDATE space_list_state SET version = version + 1 WHERE space_id = ${back.id}`.execute(there.db);
    expect(await forgotten(back.keptNow)).toBeUndefined();
  });

  it('forgets on a write that another process makes through its repositories, as a sync does', async () => {
    const s = await keptSpace();
    const thereRepos = kyselyPersistence(there.db, { secretKey: TEST_SECRET_KEY, ids: new SequentialIds() }).repos;
    const connector = newConnector({ id: '00000000-0000-4000-b000-000000000001', spaceId: s.id, name: 'prod', type: 'mock', config: {} }, new Date());
    await thereRepos.connectors.create(connector);
    // A connector is not what a list shows: the space stays kept.
    await quiet();
    expect(s.keptNow()).toBeDefined();
    const pipeline = { externalId: 'etl', name: 'etl', description: null, owner: null, tags: [], schedule: null, paused: false, nextRunAt: null };
    await thereRepos.pipelines.upsertFromProvider(connector, [pipeline], '00000000-0000-4000-b000-000000000002', new Date());
    expect(await forgotten(s.keptNow)).toBeUndefined();
  });

  it('keeps what it kept across writes here to the rate limits and the jobs, tables that nothing links to a space', async () => {
    const s = await keptSpace();
    // As the rate limiter writes on every request, and the worker claims jobs every second.
    await sql`
            INSERT INTO "rate_limits" VALUES (${'key:abc'}, ${1}, ${Date.now() + 1000})
              ON CONFLICT(key) DO UPDATE SET points = "rate_limits".points + 1`.execute(here.db);
    await repos.jobs.enqueue({ name: 'sync', key: 'sync:kept', payload: {} }, '00000000-0000-4000-c000-000000000001', new Date());
    await repos.jobs.claim(['sync'], '00000000-0000-4000-c000-000000000002', new Date(), new Date(Date.now() + 60_000), 1);
    expect(s.keptNow()).toBeDefined();
    const { rows } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('rate_limits'::regclass, 'jobs'::regclass) AND NOT tgisinternal)
           + (SELECT count(*) FROM pg_constraint WHERE confrelid IN ('rate_limits'::regclass, 'jobs'::regclass))
           + (SELECT count(*) FROM pg_rewrite WHERE ev_class IN ('rate_limits'::regclass, 'jobs'::regclass)) AS n`.execute(here.db);
    expect(Number(rows[0].n)).toBe(0);
  });

  it('forgets once a write here has run, not when it was sent: a read in between is kept, then goes', async () => {
    const s = await newSpace();
    const team = '00000000-0000-4000-a000-0000000000f1';
    await repos.teams.create({ id: team, spaceId: s.id, name: 'Locked', createdAt: new Date() });
    const waiting = async () =>
      Number(
        (await sql<{ n: number }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${schema} AND wait_event_type = 'Lock'`.execute(there.db))
          .rows[0].n,
      );
    /** Sends `write` while another process holds the team's row, reads the space while it waits, then lets it run. */
    async function whileBlocked(write: () => Promise<unknown>) {
      await keep(s);
      let release = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      let locked = () => {};
      const lockTaken = new Promise<void>((r) => {
        locked = r;
      });
      const lock = there.db.transaction().execute(async (trx) => {
        await sql`SELECT 1 FROM teams WHERE id = ${team} FOR UPDATE`.execute(trx);
        locked();
        await released;
      });
      await lockTaken;
      const written = write();
      for (let i = 0; i < 500 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await waiting()).toBe(1);
      await repos.spaces.getBySlugWithRole(s.slug, s.userId);
      expect(s.keptNow()).toBeDefined();
      release();
      await lock;
      await written;
      expect(s.keptNow()).toBeUndefined();
    }
    // Kysely's promise form, then the callback form (pg's own pool.query runs a statement so).
    await whileBlocked(() => sql`UPDATE teams SET name = 'Renamed' WHERE id = ${team}`.execute(here.db));
    const viaPool = new pg.Pool({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}`, application_name: schema, max: 1 });
    try {
      forgetOnWrite(viaPool, kept);
      await whileBlocked(() => viaPool.query('UPDATE teams SET name = $1 WHERE id = $2', ['Again', team]));
    } finally {
      await viaPool.end();
    }
  });

  it('keeps nothing on a database opened without it, or on PGlite', async () => {
    expect(there.kept).toBeUndefined();
    const embedded = await openTestDatabase('pglite');
    try {
      expect(embedded.kept).toBeUndefined();
    } finally {
      await embedded.close();
    }
  });
  it('listens once however often it is started, and keeps nothing when stopped while it connects', async () => {
    const k = new KeptSpaces();
    const name = `${schema}_l`;
    const listening = async () =>
      Number((await sql<{ n: number }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${name}`.execute(there.db)).rows[0].n);
    const listener = new SpaceChangeListener({ connectionString: TEST_DATABASE_URL, application_name: name }, k);
    await Promise.all([listener.start(), listener.start()]);
    expect(await listening()).toBe(1);
    k.keep(k.begin(), 'acme', USER, answer(A));
    expect(k.size).toBe(1);
    await listener.stop();
    expect(k.size).toBe(0);
    const late = new SpaceChangeListener({ connectionString: TEST_DATABASE_URL, application_name: name }, k);
    const starting = late.start();
    await late.stop();
    await starting;
    k.keep(k.begin(), 'acme', USER, answer(A));
    expect(k.size).toBe(0);
    for (let i = 0; i < 200 && (await listening()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await listening()).toBe(0);
  });

  // Last: it empties the memberships of every space of the file.
  it('forgets everything when another process truncates a table that a kept answer comes from', async () => {
    const s = await keptSpace();
    await sql`TRUNCATE memberships`.execute(there.db);
    expect(await forgotten(s.keptNow)).toBeUndefined();
  });
});
