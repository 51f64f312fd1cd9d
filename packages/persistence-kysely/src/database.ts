import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { PoolUse } from '@signalbox/core';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { forgetOnWrite, KeptSpaces, SpaceChangeListener } from './kept-spaces';
import { preparedPGlite } from './pglite-prepared';
import { preparedStatements } from './prepared';
import type { Schema } from './schema';

/** An open database: Kysely over the pg driver (a real PostgreSQL) or over embedded PGlite. */
export interface Database {
  db: Kysely<Schema>;
  dialect: 'postgres' | 'pglite';
  /** Resolves when the database answers a query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** PostgreSQL: the pool's connections now. Absent on PGlite, which has one in-process backend and no pool. */
  poolUse?(): PoolUse;
  /** With `keepSpaces`: the answers a conditional read may rest on (give it to `kyselyPersistence`). */
  kept?: KeptSpaces;
}

export interface OpenDatabaseOptions {
  /** `postgres://…`: use the pg driver. Without it, embedded PGlite. */
  databaseUrl?: string;
  /** PGlite's data folder; omit for an in-memory database (tests). */
  dataDir?: string;
  /** pg pool size (default 10). */
  poolSize?: number;
  /** PostgreSQL only: put every table in this schema (created if missing), e.g. one per test file. */
  schema?: string;
  /**
   * PostgreSQL only: told when an idle connection of the pool fails (the server restarted, an
   * administrator ended it). The pool drops that connection and opens another on the next query;
   * without a listener the failure would end the process.
   */
  onIdleError?: (err: Error) => void;
  /**
   * PostgreSQL only: keep each space's last read answer (the space, a caller's role, its data
   * version) while the database's notices of changed spaces are heard on a connection of its own,
   * so that a 304 needs no query (ADR 0024). For a process that serves the API. `forMs`: how
   * long an answer is kept at most (default `KEPT_MS`).
   */
  keepSpaces?: boolean | { forMs: number };
  /** With `keepSpaces`: told when the connection that listens for changed spaces fails (it listens again a second later). */
  onListenError?: (err: Error) => void;
}

/** Opens the database the options name. The same SQL serves both dialects. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPGlite(opts.dataDir);
}

async function openPostgres(databaseUrl: string, opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) {
    throw new Error(`schema '${opts.schema}' is not a plain lower-case identifier`);
  }
  if (opts.schema) {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    } catch (err) {
      // Two processes creating the same schema at once: the loser sees a unique violation.
      if ((err as { code?: string }).code !== '23505') throw err;
    } finally {
      await admin.end();
    }
  }
  const max = opts.poolSize ?? 10;
  const config = { connectionString: databaseUrl, ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}) };
  const pool = preparedStatements(new pg.Pool({ ...config, max }));
  pool.on('error', (err) => opts.onIdleError?.(err));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  let kept: KeptSpaces | undefined;
  let listener: SpaceChangeListener | undefined;
  if (opts.keepSpaces) {
    kept = opts.keepSpaces === true ? new KeptSpaces() : new KeptSpaces(Date.now, opts.keepSpaces.forMs);
    forgetOnWrite(pool, kept);
    listener = new SpaceChangeListener(config, kept, opts.onListenError);
    await listener.start();
  }
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await listener?.stop();
      await db.destroy();
    },
    poolUse: () => ({ max, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    ...(kept ? { kept } : {}),
  };
}

/**
 * The embedded database's buffer cache. PGlite keeps PostgreSQL's default of 128 MB, which lives
 * in the process's own memory and, once touched, stays there (WebAssembly memory never shrinks);
 * an embedded deployment's data is small, and its files are cached by the operating system
 * anyway. 32 MB takes about 100 MB off the API process (docs/persistence.md, Memory).
 */
export const EMBEDDED_SHARED_BUFFERS = '32MB';

async function openPGlite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // On the command line, as `-c`: PGlite's `postgresqlconf` option would replace the data folder's postgresql.conf.
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`];
  const pglite = dataDir ? new PGlite(dataDir, { startParams }) : new PGlite({ startParams });
  await pglite.waitReady;
  return fromPGlite(pglite);
}

/** Wraps an open PGlite instance (e.g. a clone of a migrated template, in tests). */
export function fromPGlite(pglite: PGlite): Database {
  const db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite: preparedPGlite(pglite) }) });
  return {
    db,
    dialect: 'pglite',
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
