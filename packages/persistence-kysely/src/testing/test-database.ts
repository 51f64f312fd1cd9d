import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { type ContractSubject, SequentialIds } from '@signalbox/core/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, fromPGlite, openDatabase } from '../database';
import { kyselyPersistence } from '../index';
import { migrateToLatest } from '../migrate';
import { TABLES } from '../schema';

/** CI sets TEST_DATABASE_URL; these machines always run PostgreSQL here. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_SECRET_KEY = 'test secret key, not for production';

export type Flavour = 'pglite' | 'postgres';

/** A schema name of its own, so test files on one PostgreSQL never see each other's rows. */
export const uniqueSchema = (label: string) => `t_${label}_${randomBytes(4).toString('hex')}`;

/** A new PGlite, in memory or in a data folder. */
export const newPGlite = (dataDir?: string): PGlite => (dataDir ? new PGlite(dataDir) : new PGlite());

/**
 * Opens a database: in-memory PGlite, or a fresh schema in the test PostgreSQL; migrated to the
 * latest unless `migrate: false`.
 */
export async function openTestDatabase(flavour: Flavour, label = 'test', opts: { migrate?: boolean } = {}): Promise<Database & { schema?: string }> {
  const migrate = opts.migrate ?? true;
  if (flavour === 'pglite') {
    const pglite = newPGlite();
    await pglite.waitReady;
    const database = fromPGlite(pglite);
    if (migrate) await migrateToLatest(database.db);
    return database;
  }
  const schema = uniqueSchema(label);
  const database = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 5 });
  if (migrate) await migrateToLatest(database.db);
  return {
    ...database,
    schema,
    close: async () => {
      await database.close();
      await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Empties every table (the migration bookkeeping stays). */
export async function truncateAll(database: Database) {
  await sql.raw(`TRUNCATE ${TABLES.join(', ')} CASCADE`).execute(database.db);
}

/**
 * One database per test file, emptied before each test: the `make` that the core's contract suites
 * take. Declares the beforeAll/afterAll that open and close it.
 */
export function contractSubject(flavour: Flavour): () => Promise<ContractSubject> {
  let database: Database | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(flavour, 'contracts');
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });
  return async () => {
    await truncateAll(database!);
    const ids = new SequentialIds();
    return { ...kyselyPersistence(database!.db, { secretKey: TEST_SECRET_KEY, ids }), ids };
  };
}
