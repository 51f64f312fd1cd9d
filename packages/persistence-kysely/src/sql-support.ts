import { conflict, DomainError, offsetOf, type PageRequest } from '@signalbox/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Schema } from './schema';

/** Postgres error fields both drivers expose. */
interface PgError {
  code?: string;
  constraint?: string;
}

const pgCode = (err: unknown) => (typeof err === 'object' && err !== null ? (err as PgError).code : undefined);

/** Runs a write and turns a unique violation (23505) into the core's conflict with `code`. */
export async function uniquely<T>(write: () => Promise<T>, code: string, message: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (pgCode(err) === '23505') throw new DomainError('conflict', code, message, { cause: err });
    throw err;
  }
}

/**
 * Runs a write and turns a foreign key violation (23503) into the core's `invalid` on `field`
 * with `code`: the row it names went away between the use case's check and the write.
 */
export async function referencing<T>(write: () => Promise<T>, field: string, code: string, reason: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (pgCode(err) === '23503') throw new DomainError('invalid', code, `${field}: ${reason}`, { details: [{ field, reason }], cause: err });
    throw err;
  }
}

/**
 * A provider batch with one entry per key (a later entry wins), in the batch's order: for upserts
 * whose statement orders its rows itself (and so takes its locks in that order), where sorting
 * here too would be work for nothing. The batch itself when its keys are all distinct, as in a
 * first sync.
 */
export function latestByKey<T>(items: readonly T[], key: (t: T) => string): readonly T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return byKey.size === items.length ? items : [...byKey.values()];
}

/**
 * One string naming a row by the parts of its key, cheaper than JSON.stringify of them: NUL
 * separates the parts, and PostgreSQL's text holds no NUL, so no two storable keys meet.
 */
export const keyOf = (...parts: (string | number)[]): string => parts.join('\u0000');
export { conflict };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids are uuid columns. An id that is not a uuid cannot name a row, so it is absent, rather than an
 * error from the database's uuid parser.
 */
export const isUuid = (id: string | null | undefined): id is string => typeof id === 'string' && UUID.test(id);

export const limitOffset = (p: PageRequest) => ({ limit: p.perPage, offset: offsetOf(p) });

/** Escapes LIKE/ILIKE wildcards so that `%`, `_` and `\` match only themselves. */
export const likeLiteral = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** count(*) comes back as a string (pg, bigint) or a number; totals fit in a double. */
export const toCount = (v: unknown) => Number(v ?? 0);

/** A bigint column: text from pg, a number or a bigint from PGlite. Counts of rows and milliseconds fit in a double. */
export const toInt = (v: string | number | bigint | null): number | null => (v === null ? null : Number(v));

export const toDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
export const mustDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/**
 * A time as the JSON of a batch statement carries it: milliseconds since the epoch. JSON.stringify
 * writes a number several times faster than a Date (whose toJSON it calls for each), and
 * PostgreSQL reads it back faster than ISO text; the sync's batches hold two to four times a row.
 */
export const epochMs = (d: Date | null | undefined): number | null => (d == null ? null : d.getTime());

/**
 * SQL for the instant in a `bigint` column of milliseconds since the epoch (see `epochMs`), by
 * integer arithmetic: the whole seconds, then the milliseconds past them (both truncated toward
 * zero, so times before 1970 come out right too). Exact for every time PostgreSQL holds up to
 * the year 9999.
 */
export const fromEpochMs = (column: string): RawBuilder<Date | null> => {
  const ms = sql.ref(column);
  return sql`(to_timestamp(${ms} / 1000) + (${ms} % 1000) * interval '1 millisecond')`;
};

/**
 * Runs `fn` in a transaction: a new one, or the one `db` already is. Kysely refuses
 * `transaction()` on a transaction, and a repository method that needs one of its own must work
 * both alone and inside a unit of work (where it joins the unit's transaction).
 */
export function inTransaction<T>(db: Kysely<Schema>, fn: (trx: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
