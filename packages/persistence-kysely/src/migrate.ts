import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import { migrations } from './migrations';

/**
 * Session advisory lock key that serialises migrations across processes: "sbx_migrate" as bytes,
 * rounded as a double, which is the key every earlier version took (so old and new processes still
 * exclude each other).
 */
const MIGRATION_LOCK = 32477891458328936n;

const provider = (all: Record<string, Migration>): MigrationProvider => ({ getMigrations: async () => all });

/**
 * Applies every pending migration and returns their names; a database already at the latest
 * migration is left as it is. Two processes may call it at once: on PostgreSQL a session advisory
 * lock, held on one connection around the whole migration (including the creation of Kysely's own
 * bookkeeping tables), makes the second wait and then find nothing to do. PGlite has one session,
 * where the lock is harmless.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations work on any schema, as Kysely's migrator does
export async function migrateToLatest(db: Kysely<any>): Promise<{ applied: string[] }> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${sql.raw(MIGRATION_LOCK.toString())})`.execute(conn);
    try {
      // Kysely looks for its bookkeeping tables by name across all schemas unless told which one;
      // with several schemas in one database (one per tenant or test) it would find another's.
      const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(conn);
      const migrator = new Migrator({ db: conn, provider: provider(migrations), migrationTableSchema: rows[0].schema });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error) throw new Error(`migration failed: ${describe(error)}`, { cause: error });
      const failed = results.find((r) => r.status === 'Error');
      if (failed) throw new Error(`migration ${failed.migrationName} failed`);
      return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    } finally {
      await sql`SELECT pg_advisory_unlock(${sql.raw(MIGRATION_LOCK.toString())})`.execute(conn);
    }
  });
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
