import { conflict, DomainError, type PageRequest, offsetOf } from '@signalbox/core';

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

export const isUniqueViolation = (err: unknown) => pgCode(err) === '23505';
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

export const toDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
export const mustDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
