import { hash } from 'node:crypto';
import type pg from 'pg';

/** Statements each connection keeps prepared, at most: past it, new texts run unprepared. */
export const MAX_PREPARED_PER_CONNECTION = 200;

const patched = new WeakSet<pg.PoolClient>();

/** The server's answer to a prepared `SELECT *` whose table gained or lost a column since. */
const isStalePlan = (err: unknown) => (err as { code?: string }).code === '0A000' && /cached plan must not change result type/.test(String(err));

/**
 * Has every parameterized statement a connection runs prepared under a name derived from its
 * text, so that PostgreSQL parses and plans it once per connection rather than on every call
 * (planning the pipeline list, for one, costs about as much as running it). Statements without
 * parameters (BEGIN, COMMIT, SET …) run as they are. A connection prepares at most `max` texts,
 * so that texts built from varying input cannot grow a session's memory without bound.
 *
 * A prepared statement whose result columns changed under it (a migration added a column to a
 * table it reads with `*`) fails with "cached plan must not change result type". The connection
 * then starts a new generation of names (the old statements are left to the session; a schema
 * change is rare), and the statement runs once more unprepared: outside a transaction it answers
 * as if nothing happened; inside one, the transaction has already failed and says so.
 */
export function preparedStatements(pool: pg.Pool, max = MAX_PREPARED_PER_CONNECTION): pg.Pool {
  pool.on('connect', (client) => {
    if (patched.has(client)) return;
    patched.add(client);
    const names = new Set<string>();
    let generation = 0;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (text: unknown, values?: unknown, ...rest: unknown[]) => {
      // Only the promise form (no callback), as Kysely calls it.
      if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || rest.length > 0) return query(text, values, ...rest);
      const name = `sbx${generation}_${hash('sha1', text, 'base64url')}`;
      if (!names.has(name)) {
        if (names.size >= max) return query(text, values);
        names.add(name);
      }
      return (query({ name, text, values }) as Promise<unknown>).catch((err: unknown) => {
        if (!isStalePlan(err)) throw err;
        generation++;
        names.clear();
        return query(text, values);
      });
    };
  });
  return pool;
}
