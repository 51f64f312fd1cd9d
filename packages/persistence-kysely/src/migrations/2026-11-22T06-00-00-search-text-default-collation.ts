import { type Kysely, sql } from 'kysely';

/*
 * search_text was lower-cased under the "C" collation of the name column, which folds ASCII only,
 * while `q` was lower-cased under the database's default collation (e.g. C.UTF-8, which folds
 * É to é): a non-ASCII `q` could miss. Both sides now use the default collation; this rewrites
 * the stored values with the new expression.
 */
const SEARCH_TEXT = (row: string) =>
  `lower((${row}.name || chr(31) || ${row}.external_id || chr(31) || coalesce(${row}.description, '') || chr(31) || ` +
  `coalesce(${row}.owner, '') || chr(31) || array_to_string(${row}.tags, chr(31))) COLLATE "default")`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`UPDATE pipelines p SET search_text = ${SEARCH_TEXT('p')}`).execute(db);
}

export async function down(): Promise<void> {
  // The values stay valid for the previous expression's readers; nothing to undo.
}
