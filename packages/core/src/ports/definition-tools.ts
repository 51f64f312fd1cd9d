/*
 * What the core needs to read a managed pipeline's definition as a user wrote it: the text parsed
 * with a way back to its lines, PostgreSQL's own parser for the SQL inside it, and text diffs of
 * two versions. Adapters implement them with libraries (a YAML parser, libpg-query, a diff library);
 * the core never parses text itself.
 */

/** The formats a definition may be written in. JSON is read as JSON; YAML as YAML 1.2 (core schema). */
export const DEFINITION_FORMATS = ['json', 'yaml'] as const;
export type DefinitionFormat = (typeof DEFINITION_FORMATS)[number];

/** A place in a text: 1-based line and column (columns count UTF-16 code units, as editors do). */
export interface TextPosition {
  line: number;
  column: number;
}

/** A text parsed into plain JSON values, with the way back from a place in the value to the text. */
export interface ParsedText {
  /** Objects, arrays, strings, finite numbers, booleans and null only. */
  value: unknown;
  /**
   * Where the value at a JSON pointer (RFC 6901, e.g. `/transforms/1/query`) starts in the text.
   * For a pointer that names a missing member, the position of the nearest enclosing value that
   * exists (so "`/name` is required" points at the object that lacks it); `{line: 1, column: 1}`
   * for the root.
   */
  locate(pointer: string): TextPosition;
  /**
   * Where a character of the string at `pointer` is in the text: `offset` counts UTF-16 code units
   * into the string's value (as parsed, e.g. a YAML block scalar without its indentation). Exact
   * for block scalars, plain and quoted one-line strings; for a string whose escapes or folding make
   * the mapping ambiguous, the nearest position the adapter can tell (at worst the string's start).
   */
  locateInString(pointer: string, offset: number): TextPosition;
  /**
   * Where the key of the object member at `pointer` starts (an unknown field is blamed on its
   * key); for an array item, the root or a missing member, the same as `locate`. Optional: without
   * it, `locate` is used.
   */
  locateKey?(pointer: string): TextPosition;
}

/**
 * Reads definition texts. Throws DomainError kind `invalid`, code `DEFINITION_SYNTAX`, with one
 * detail per problem `{field: '', reason, line, column}`: a syntax error, a duplicate key, more
 * than one document, a tag or alias expansion beyond the adapter's caps (a YAML bomb), nesting
 * deeper than the adapter allows, or a value JSON cannot carry (a non-finite number, a date).
 */
export interface DefinitionReader {
  read(text: string, format: DefinitionFormat): ParsedText;
}

/** A table a statement refers to (as written: no search-path resolution). */
export interface SqlTableRef {
  schema: string | null;
  name: string;
}

/**
 * What PostgreSQL's parser says of one statement. Positions are 0-based UTF-16 offsets into the
 * statement as given (before any rewriting of `:name` variables).
 */
export type SqlAnalysis =
  | {
      ok: true;
      /** Tables and views the statement reads or writes (CTE names excluded), first use first, unique. */
      tables: SqlTableRef[];
      /** psql-style `:name` variables, in order of first use, unique (not `::casts`, nor inside literals, quoted identifiers or comments). */
      variables: { name: string; offset: number }[];
      /** How many statements the text holds (a step runs exactly one). */
      statements: number;
      /** The text with each variable rewritten to `$n`, n its place in `variables` (1-based): what the engine runs, the values bound. */
      positional: string;
    }
  | { ok: false; message: string; offset: number };

/** PostgreSQL's own SQL parser. `analyze` never throws for bad SQL: it answers `ok: false`. */
export interface SqlParser {
  analyze(sql: string): Promise<SqlAnalysis>;
}

/** Text diffs of two sources. */
export interface TextDiffer {
  /** A unified diff (`---`/`+++` headers with the labels, `@@` hunks, 3 lines of context); '' when equal. */
  unified(before: string, after: string, labels: { before: string; after: string }): string;
}
