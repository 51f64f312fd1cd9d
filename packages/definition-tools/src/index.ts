import type { DefinitionReader, SqlParser, TextDiffer } from '@signalbox/core';
import { type ReaderLimits, yamlDefinitionReader } from './definition-reader';
import { pgSqlParser } from './pg-sql-parser';
import { diffTexts } from './text-differ';

export { DEFAULT_READER_LIMITS, type ReaderLimits, yamlDefinitionReader } from './definition-reader';
export { pgSqlParser } from './pg-sql-parser';
export { diffTexts } from './text-differ';

/** The three definition ports, implemented with `yaml`, libpg-query and jsdiff. */
export interface DefinitionTools {
  reader: DefinitionReader;
  sql: SqlParser;
  diff: TextDiffer;
}

/** Everything the core needs to read, check and compare definitions. `limits` caps what a text may cost. */
export function definitionTools(options: { limits?: Partial<ReaderLimits> } = {}): DefinitionTools {
  return { reader: yamlDefinitionReader(options.limits), sql: pgSqlParser(), diff: diffTexts() };
}
