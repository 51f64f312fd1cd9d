import { CompiledQuery, type Kysely } from 'kysely';
import type { Schema } from './schema';

/**
 * One parameterized statement at a time over Kysely's own connections (pg pool or PGlite), in the
 * `query({text, values})` shape that libraries written for node-postgres expect (the API's rate
 * limiter). Statement names are ignored: Kysely prepares nothing by name.
 */
export function sqlClient(db: Kysely<Schema>) {
  return {
    async query(q: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }> {
      const result = await db.executeQuery(CompiledQuery.raw(q.text, q.values ?? []));
      return { rows: result.rows as unknown[], rowCount: result.numAffectedRows !== undefined ? Number(result.numAffectedRows) : result.rows.length };
    },
  };
}
