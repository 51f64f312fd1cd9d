import { type Kysely, sql } from 'kysely';

/*
 * One lower-cased text per pipeline for `q`: its name, external id, description, owner and tags,
 * separated by the unit separator (U+001F), which no field contains, so a match never spans two
 * fields. Scanning one column with one LIKE costs a fraction of five ILIKEs and an unnest per row.
 * It is written by the sync upsert (array_to_string is not immutable, so it cannot be a
 * generated column). The expression is repeated here, not imported: a migration stays as it was written.
 */
const SEARCH_TEXT = (row: string) =>
  `lower(${row}.name || chr(31) || ${row}.external_id || chr(31) || coalesce(${row}.description, '') || chr(31) || ` +
  `coalesce(${row}.owner, '') || chr(31) || array_to_string(${row}.tags, chr(31)))`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE pipelines ADD COLUMN search_text text NOT NULL DEFAULT ''`).execute(db);
  await sql.raw(`UPDATE pipelines p SET search_text = ${SEARCH_TEXT('p')}`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE pipelines DROP COLUMN search_text`).execute(db);
}
