/*
 * Migrates the configured database to the latest schema and exits:
 *   npm run migrate -w @signalbox/persistence-kysely
 * DATABASE_URL selects PostgreSQL; without it, PGlite in `$SIGNALBOX_DATA_DIR/pglite` (default ./.data),
 * the folder the API uses. Safe to run while another process migrates or serves.
 */
import { join, resolve } from 'node:path';
import { openDatabase } from './database';
import { migrateToLatest } from './migrate';

async function main() {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = join(resolve(process.env.SIGNALBOX_DATA_DIR || './.data'), 'pglite');
  const database = await openDatabase(databaseUrl ? { databaseUrl, poolSize: 1 } : { dataDir });
  try {
    const { applied } = await migrateToLatest(database.db);
    const where = databaseUrl ? 'PostgreSQL' : `PGlite in ${dataDir}`;
    process.stdout.write(applied.length ? `applied on ${where}: ${applied.join(', ')}\n` : `${where} is up to date\n`);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
