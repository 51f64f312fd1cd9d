import { sql } from 'kysely';
import { openDatabase } from './database';
import { migrateToLatest } from './migrate';
import { migrations } from './migrations';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, uniqueSchema } from './testing/test-database';

const ALL = Object.keys(migrations).sort();

const tables = async (db: Parameters<typeof migrateToLatest>[0]) =>
  (await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`.execute(db)).rows.map(
    (r) => r.table_name,
  );

describe('migrations on PGlite', () => {
  it('run from empty, then a second run applies nothing', async () => {
    const database = await openTestDatabase('pglite');
    try {
      // openTestDatabase has migrated once already.
      expect(await tables(database.db)).toEqual(expect.arrayContaining(['pipelines', 'runs', 'task_runs', 'syncs']));
      expect(await migrateToLatest(database.db)).toEqual({ applied: [] });
    } finally {
      await database.close();
    }
  });
});

describe('migrations on PostgreSQL', () => {
  const schema = uniqueSchema('migrate');
  afterAll(() => dropSchema(schema));

  it('run from empty once when two processes start at once, and a later run applies nothing', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 2 })));
    try {
      expect(await tables(a.db)).toEqual([]);
      const [ra, rb] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(ALL);
      expect(await tables(a.db)).toEqual(expect.arrayContaining(['pipelines', 'runs', 'task_runs', 'syncs']));
      expect(await migrateToLatest(b.db)).toEqual({ applied: [] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
