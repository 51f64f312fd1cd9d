import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from './database';
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
});
