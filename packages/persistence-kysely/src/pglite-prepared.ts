import { type PGlite, parse, protocol } from '@electric-sql/pglite';
import type { PGlite as DialectPGlite, PGliteQueryOptions, PGliteQueryResults, PGliteTransaction } from 'kysely';

/** Statements the embedded database keeps prepared, at most: past it, new texts run as PGlite runs them. */
export const MAX_PREPARED_EMBEDDED = 200;

/** One prepared statement: its name and the types of its parameters, as the server described them. */
interface Statement {
  name: string;
  types: number[];
}

/** What every wrapper of one PGlite shares: the statements prepared in its one session. */
interface Session {
  statements: Map<string, Statement>;
  made: number;
}

const sessions = new WeakMap<PGlite, Session>();

/** The server's answer to a prepared `SELECT *` whose table gained or lost a column since. */
const isStalePlan = (err: unknown) => (err as { code?: string }).code === '0A000' && /cached plan must not change result type/.test(String(err));

/** The server's answer when a name is no longer prepared: the embedder ran `DEALLOCATE ALL` or `DISCARD ALL`. */
const isUnprepared = (err: unknown) => (err as { code?: string }).code === '26000';

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Only the plain form Kysely uses: parameters, rows as objects, no per-query types, parsers or files. */
const preparable = (params: unknown[] | undefined, options: PGliteQueryOptions | undefined): params is unknown[] =>
  params !== undefined &&
  params.length > 0 &&
  options?.rowMode === 'object' &&
  !options.paramTypes &&
  !options.parsers &&
  !options.serializers &&
  !options.blob &&
  !options.onNotice;

/**
 * The embedded database as Kysely's PGlite dialect takes it, with every parameterized statement
 * prepared once under a name, as `preparedStatements` does on PostgreSQL. PGlite's own `query`
 * parses, describes and plans a statement on every call, in six calls into the database; a
 * prepared statement runs in one (bind, describe, execute, sync), planned once. A read of a space
 * with the caller's role took 0.39–0.85 ms the first way and 0.12 ms the second (docs/persistence.md).
 *
 * It keeps PGlite's own locking: a statement outside a transaction waits for any open one, one
 * inside runs in it. Values are serialized and rows parsed by the instance's own serializers and
 * parsers, by the types the server described. A statement whose result columns changed under it
 * (a migration added a column to a table it reads with `*`) is released and prepared anew, and
 * one the session no longer has (an embedder's `DEALLOCATE`) is prepared anew: outside a
 * transaction the statement then runs again; inside one, the transaction has already failed and
 * says so.
 */
export function preparedPGlite(pglite: PGlite, max = MAX_PREPARED_EMBEDDED): DialectPGlite {
  let session = sessions.get(pglite);
  if (!session) {
    session = { statements: new Map(), made: 0 };
    sessions.set(pglite, session);
  }
  const { statements } = session;
  const known = session;

  /** Runs a statement prepared; the caller holds PGlite's query lock. */
  const run = async <T>(text: string, params: unknown[], inTransaction: boolean, again = true): Promise<PGliteQueryResults<T>> => {
    let statement = statements.get(text);
    if (!statement) {
      const name = `sbx_${known.made++}`;
      const { messages } = await pglite.execProtocol(
        concat(protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()),
        { syncToFs: false },
      );
      statement = { name, types: parse.parseDescribeStatementResults(messages) };
      statements.set(text, statement);
    }
    const { types } = statement;
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serializer = pglite.serializers[types[i]];
      return serializer ? serializer(v) : String(v);
    });
    try {
      const { messages } = await pglite.execProtocol(
        concat(
          protocol.serialize.bind({ statement: statement.name, values }),
          protocol.serialize.describe({ type: 'P' }),
          protocol.serialize.execute({}),
          protocol.serialize.sync(),
        ),
        { syncToFs: false },
      );
      return parse.parseResults(messages, pglite.parsers, { rowMode: 'object' })[0] as PGliteQueryResults<T>;
    } catch (err) {
      if (isStalePlan(err)) {
        // Its name is released too, so the statements kept and the cap agree.
        statements.delete(text);
        await pglite
          .execProtocol(concat(protocol.serialize.close({ type: 'S', name: statement.name }), protocol.serialize.sync()), { syncToFs: false })
          .catch(() => {});
      } else if (isUnprepared(err)) {
        // Deallocated by the embedder: each statement so dropped is prepared anew when next run.
        statements.delete(text);
      } else throw err;
      if (inTransaction || !again) throw err;
      return run(text, params, inTransaction, false);
    }
  };

  const takes = (text: string, params: unknown[] | undefined, options: PGliteQueryOptions | undefined): params is unknown[] =>
    preparable(params, options) && (statements.has(text) || statements.size < max);

  return {
    get closed() {
      return pglite.closed;
    },
    get ready() {
      return pglite.ready;
    },
    get waitReady() {
      return pglite.waitReady;
    },
    close: () => pglite.close(),
    async query<T>(text: string, params?: unknown[], options?: PGliteQueryOptions) {
      if (!takes(text, params, options)) return pglite.query<T>(text, params, options);
      await pglite._checkReady();
      // As PGlite's own query: after any open transaction, then its files synced.
      return pglite._runExclusiveTransaction(() =>
        pglite._runExclusiveQuery(async () => {
          const result = await run<T>(text, params, false);
          await pglite.syncToFs();
          return result;
        }),
      );
    },
    transaction: <T>(callback: (tx: PGliteTransaction) => Promise<T>) =>
      pglite.transaction((tx) =>
        callback({
          query: <R>(text: string, params?: unknown[], options?: PGliteQueryOptions) => {
            if (tx.closed) throw new Error('Transaction is closed');
            if (!takes(text, params, options)) return tx.query<R>(text, params, options);
            return pglite._runExclusiveQuery(() => run<R>(text, params, true));
          },
          rollback: () => tx.rollback(),
        }),
      ),
  };
}
