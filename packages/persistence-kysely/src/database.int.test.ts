import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { EMBEDDED_SHARED_BUFFERS, openDatabase } from './database';
import { preparedStatements } from './prepared';
import { TEST_DATABASE_URL } from './testing/test-database';

describe('openDatabase on PostgreSQL', () => {
  it('survives an idle connection ended by the server: it is told, and the next query opens another', async () => {
    const failures: string[] = [];
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('application_name', 'sbx_idle_test');
    const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 2, onIdleError: (err) => failures.push(err.message) });
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await db.ping(); // one connection, now idle in the pool
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sbx_idle_test'");
      for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(failures).toEqual([expect.stringMatching(/terminating connection/)]);
      expect((await sql<{ n: number }>`SELECT 1 AS n`.execute(db.db)).rows).toEqual([{ n: 1 }]);
    } finally {
      await admin.end();
      await db.close();
    }
  });

  it('tells how its pool is used: open, idle and waiting connections of its size', async () => {
    const db = await openDatabase({ databaseUrl: TEST_DATABASE_URL, poolSize: 2 });
    try {
      expect(db.poolUse?.()).toEqual({ max: 2, open: 0, idle: 0, waiting: 0 });
      // Three queries at once on two connections: one waits.
      const busy = Promise.all([1, 2, 3].map(() => sql`SELECT pg_sleep(0.2)`.execute(db.db)));
      await new Promise((r) => setTimeout(r, 100));
      expect(db.poolUse?.()).toEqual({ max: 2, open: 2, idle: 0, waiting: 1 });
      await busy;
      expect(db.poolUse?.()).toEqual({ max: 2, open: 2, idle: 2, waiting: 0 });
    } finally {
      await db.close();
    }
  });
});

describe('openDatabase embedded', () => {
  it("runs PGlite with a small buffer cache, set at its start, the data folder's own configuration left as it was", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-embedded-'));
    try {
      const first = await openDatabase({ dataDir: dir });
      const conf = readFileSync(join(dir, 'postgresql.conf'), 'utf8');
      expect((await sql<{ shared_buffers: string }>`SHOW shared_buffers`.execute(first.db)).rows[0].shared_buffers).toBe(EMBEDDED_SHARED_BUFFERS);
      expect((await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(first.db)).rows[0].tz).toBe('UTC');
      await first.close();
      // Opened again: the same, and the folder's configuration untouched.
      const again = await openDatabase({ dataDir: dir });
      expect((await sql<{ shared_buffers: string }>`SHOW shared_buffers`.execute(again.db)).rows[0].shared_buffers).toBe(EMBEDDED_SHARED_BUFFERS);
      await again.close();
      expect(readFileSync(join(dir, 'postgresql.conf'), 'utf8')).toBe(conf);
      const memory = await openDatabase({});
      expect(memory.poolUse).toBeUndefined(); // one in-process backend, no pool
      expect((await sql<{ shared_buffers: string }>`SHOW shared_buffers`.execute(memory.db)).rows[0].shared_buffers).toBe(EMBEDDED_SHARED_BUFFERS);
      await memory.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('preparedStatements', () => {
  const prepared = async (client: pg.PoolClient) =>
    (await client.query('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time')).rows as { name: string; statement: string }[];

  it('prepares each parameterized text once per connection, runs the rest as they are, and stops preparing at its cap', async () => {
    const pool = preparedStatements(new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 }), 2);
    const client = await pool.connect();
    try {
      for (let i = 0; i < 3; i++) expect((await client.query('SELECT $1::int + 1 AS n', [i])).rows).toEqual([{ n: i + 1 }]);
      await client.query('SELECT 42');
      expect(await prepared(client)).toEqual([{ name: expect.stringMatching(/^sbx\d+_/), statement: 'SELECT $1::int + 1 AS n' }]);
      await client.query('SELECT $1::text AS t', ['a']);
      await client.query('SELECT $1::text || $2 AS t', ['a', 'b']); // past the cap of 2: unprepared, still answered
      expect((await prepared(client)).map((p) => p.statement)).toEqual(['SELECT $1::int + 1 AS n', 'SELECT $1::text AS t']);
      expect((await client.query('SELECT $1::text || $2 AS t', ['a', 'b'])).rows).toEqual([{ t: 'ab' }]);
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('answers a prepared SELECT * again after its table gained a column, and prepares it anew', async () => {
    const table = `sbx_prepared_${process.pid}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const pool = preparedStatements(new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 }));
    const client = await pool.connect();
    try {
      await admin.query(`CREATE TABLE ${table} (id int)`);
      await admin.query(`INSERT INTO ${table} VALUES (1)`);
      const read = () => client.query(`SELECT * FROM ${table} WHERE id = $1`, [1]);
      expect((await read()).rows).toEqual([{ id: 1 }]);
      await admin.query(`ALTER TABLE ${table} ADD COLUMN note text DEFAULT 'new'`);
      expect((await read()).rows).toEqual([{ id: 1, note: 'new' }]);
      expect((await read()).rows).toEqual([{ id: 1, note: 'new' }]);
      const statements = (await prepared(client)).filter((p) => p.statement.includes(table));
      expect(statements).toHaveLength(2); // the stale one, left to the session, and its successor
      expect(new Set(statements.map((p) => p.name)).size).toBe(2);
    } finally {
      client.release();
      await pool.end();
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    }
  });

  it('serves Kysely queries and transactions through prepared statements', async () => {
    const db = await openDatabase({ databaseUrl: TEST_DATABASE_URL, poolSize: 1 });
    try {
      for (let i = 0; i < 3; i++) expect((await sql<{ n: number }>`SELECT ${i}::int AS n`.execute(db.db)).rows).toEqual([{ n: i }]);
      const inside = await db.db.transaction().execute(async (trx) => {
        await sql`SELECT ${1}::int AS n`.execute(trx);
        return (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(trx)).rows.map((r) => r.statement);
      });
      expect(inside).toEqual(['SELECT $1::int AS n']);
    } finally {
      await db.close();
    }
  });
});
