import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import { preparedPGlite } from './pglite-prepared';

const OBJECTS = { rowMode: 'object' } as const;

describe('the embedded database with prepared statements', () => {
  let pglite: PGlite;

  beforeEach(async () => {
    pglite = new PGlite();
    await pglite.exec(`CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, flag boolean, note text)`);
  });
  afterEach(() => pglite.close());

  const prepared = async () => (await pglite.query<{ name: string }>(`SELECT name FROM pg_prepared_statements ORDER BY name`)).rows.map((r) => r.name);

  it('prepares a parameterized statement once, with values and rows as PGlite itself serializes and parses them', async () => {
    const db = preparedPGlite(pglite);
    const at = new Date('2026-11-28T12:00:00.000Z');
    const insert = 'INSERT INTO t (id, at, doc, flag, note) VALUES ($1, $2, $3, $4, $5)';
    await db.query(insert, [1, at, { a: [1, 'x'] }, true, null], OBJECTS);
    await db.query(insert, [2, at.toISOString(), '{"b":2}', false, 'two'], OBJECTS);
    const read = 'SELECT * FROM t WHERE id >= $1 ORDER BY id';
    const ours = await db.query(read, [1], OBJECTS);
    const theirs = await pglite.query(read, [1], OBJECTS);
    expect(ours.rows).toEqual(theirs.rows);
    expect(ours.rows).toEqual([
      { id: 1, at, doc: { a: [1, 'x'] }, flag: true, note: null },
      { id: 2, at, doc: { b: 2 }, flag: false, note: 'two' },
    ]);
    expect(ours.fields.map((f) => f.name)).toEqual(['id', 'at', 'doc', 'flag', 'note']);
    expect((await db.query('UPDATE t SET note = $1 WHERE id > $2', ['n', 0], OBJECTS)).affectedRows).toBe(2);
    expect(await prepared()).toEqual(['sbx_0', 'sbx_1', 'sbx_2']);
    // Statements without parameters run as PGlite runs them.
    await db.query('SELECT count(*) FROM t', [], OBJECTS);
    expect(await prepared()).toHaveLength(3);
  });

  it('keeps at most its cap of statements; the rest run unprepared', async () => {
    const db = preparedPGlite(pglite, 1);
    await db.query('SELECT $1::int AS one', [1], OBJECTS);
    expect((await db.query('SELECT $1::int AS two', [2], OBJECTS)).rows).toEqual([{ two: 2 }]);
    expect(await prepared()).toEqual(['sbx_0']);
  });

  it('answers errors with their code and stays usable', async () => {
    const db = preparedPGlite(pglite);
    const insert = 'INSERT INTO t (id) VALUES ($1)';
    await db.query(insert, [1], OBJECTS);
    await expect(db.query(insert, [1], OBJECTS)).rejects.toMatchObject({ code: '23505' });
    await expect(db.query('SELECT nope FROM t WHERE id = $1', [1], OBJECTS)).rejects.toMatchObject({ code: '42703' });
    expect((await db.query('SELECT id FROM t WHERE id = $1', [1], OBJECTS)).rows).toEqual([{ id: 1 }]);
  });

  it('prepares anew a statement whose table changed under it; inside a transaction, that transaction fails', async () => {
    const db = preparedPGlite(pglite);
    const read = 'SELECT * FROM t WHERE id = $1';
    await db.query('INSERT INTO t (id) VALUES ($1)', [1], OBJECTS);
    await db.query(read, [1], OBJECTS);
    await pglite.exec('ALTER TABLE t ADD COLUMN extra int DEFAULT 7');
    expect((await db.query<{ extra: number }>(read, [1], OBJECTS)).rows[0].extra).toBe(7);
    // The stale name is released: the session holds what the cap counts.
    expect(await prepared()).toEqual(['sbx_0', 'sbx_2']);
    await pglite.exec('ALTER TABLE t DROP COLUMN extra');
    await expect(db.transaction((tx) => tx.query(read, [1], OBJECTS))).rejects.toMatchObject({ code: '0A000' });
    expect((await db.query<Record<string, unknown>>(read, [1], OBJECTS)).rows[0]).not.toHaveProperty('extra');
  });

  it('prepares anew what the session deallocated under it', async () => {
    const db = preparedPGlite(pglite);
    const read = 'SELECT count(*)::int AS n FROM t WHERE id >= $1';
    await db.query(read, [0], OBJECTS);
    await pglite.exec('DEALLOCATE ALL');
    expect((await db.query(read, [0], OBJECTS)).rows).toEqual([{ n: 0 }]);
    expect(await prepared()).toEqual(['sbx_1']);
  });

  it('reads every other type the way PGlite does', async () => {
    await pglite.exec(`CREATE TABLE v (id uuid, big bigint, ratio double precision, day date, raw json, amount numeric, tags text[])`);
    const db = preparedPGlite(pglite);
    const row = ['5f0c7a52-9d1b-4d4e-9a39-6d1f2b0e8c11', 9007199254740993n, 0.25, '2026-11-28', { a: 1 }, '12.50', ['x', 'y']];
    await db.query('INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7)', row, OBJECTS);
    await pglite.query('INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7)', row, OBJECTS);
    const read = 'SELECT * FROM v WHERE ratio > $1';
    const ours = (await db.query<Record<string, unknown>>(read, [0], OBJECTS)).rows;
    expect(ours).toEqual((await pglite.query(read, [0], OBJECTS)).rows);
    expect(ours[0]).toEqual(ours[1]);
    expect(ours[0]).toMatchObject({ big: 9007199254740993n, ratio: 0.25, raw: { a: 1 }, tags: ['x', 'y'] });
  });

  it('runs statements issued together inside a transaction one after the other', async () => {
    const db = preparedPGlite(pglite);
    const [a, b] = await db.transaction((tx) =>
      Promise.all([
        tx.query('INSERT INTO t (id, note) VALUES ($1, $2) RETURNING note', [1, 'a'], OBJECTS),
        tx.query('INSERT INTO t (id, note) VALUES ($1, $2) RETURNING id', [2, 'b'], OBJECTS),
      ]),
    );
    expect([a.rows, b.rows]).toEqual([[{ note: 'a' }], [{ id: 2 }]]);
    expect((await db.query('SELECT id FROM t WHERE id > $1 ORDER BY id', [0], OBJECTS)).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('runs a statement outside a transaction after the open one, never inside it', async () => {
    const db = preparedPGlite(pglite);
    let inserted: () => void = () => {};
    const insertedOnce = new Promise<void>((ok) => {
      inserted = ok;
    });
    const failing = db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES ($1)', [1], OBJECTS);
      inserted();
      await new Promise((ok) => setTimeout(ok, 50));
      throw new Error('rolled back');
    });
    await insertedOnce;
    // Issued while the transaction is open: it would see the row, were it run inside it.
    const count = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id >= $1', [0], OBJECTS);
    await expect(failing).rejects.toThrow('rolled back');
    expect((await count).rows).toEqual([{ n: 0 }]);
  });

  it('serves Kysely, transactions and savepoints included', async () => {
    const db = new Kysely<{ t: { id: number; note: string | null } }>({ dialect: new PGliteDialect({ pglite: preparedPGlite(pglite) }) });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, note: 'a' }).execute();
      await sql`SAVEPOINT s`.execute(trx);
      await trx.insertInto('t').values({ id: 2, note: 'b' }).execute();
      await sql`ROLLBACK TO SAVEPOINT s`.execute(trx);
    });
    expect(await db.selectFrom('t').select(['id', 'note']).where('id', '>', 0).execute()).toEqual([{ id: 1, note: 'a' }]);
  });
});
