import { DomainError } from '@signalbox/core';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** Media types whose bodies are read as YAML (the first is the registered one, RFC 9512). */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;
/** Media types whose bodies are read as JSON. */
export const JSON_TYPES = ['application/json', 'application/*+json'] as const;

/** A place in the text of a body: 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Finds where a value of the decoded body was written: `path` is the value's keys and indexes
 * from the root; with `key`, the position of the last key itself rather than of its value.
 * Undefined when the text has no such node.
 */
export type Locate = (path: readonly string[], key?: boolean) => Position | undefined;

const YAML_OPTIONS = {
  // Only the tags of YAML 1.2's core schema: `!!binary`, `!!set` or `!!timestamp` would make
  // values (buffers, sets, dates) that JSON cannot carry. Unknown tags stay plain strings.
  resolveKnownTags: false,
  // A map with the same key twice is an error (the default), never "the last one wins".
  uniqueKeys: true,
  prettyErrors: false,
} as const;

/** An alias may be expanded this many times at most: a few aliases must not make a huge value. */
const MAX_ALIAS_COUNT = 100;

function walk(root: unknown, path: readonly string[], key: boolean): Node | undefined {
  let node = root as Node | undefined;
  for (const [i, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) return undefined;
      if (key && i === path.length - 1) return pair.key as Node;
      node = pair.value as Node | undefined;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)] as Node | undefined;
    } else {
      return undefined;
    }
  }
  return node ?? undefined;
}

function locator(contents: unknown, lines: LineCounter): Locate {
  return (path, key = false) => {
    const node = walk(contents, path, key);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}

/**
 * Decodes a YAML body into plain JSON values, with a locator into its text. A syntax error, a
 * duplicate key, several documents or too many aliases are `invalid` MALFORMED_YAML naming the
 * line and column.
 */
export function parseYaml(text: string): { value: unknown; locate: Locate } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  const malformed = (reason: string, offset: number) => {
    const { line, col } = lines.linePos(offset);
    return new DomainError('invalid', 'MALFORMED_YAML', `the request body is not valid YAML: ${reason} at line ${line}, column ${col}`, {
      details: [{ field: 'body', reason, line, column: col }],
    });
  };
  const [error] = doc.errors;
  if (error) throw malformed(error.message, error.pos[0]);
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), locate: locator(doc.contents, lines) };
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : String(err), 0);
  }
}

/** JSON bodies larger than this (in UTF-16 code units) get no line and column in their errors. */
export const MAX_LOCATED_JSON = 64 * 1024;

/**
 * A locator into a JSON body's text, made only when a body failed validation. JSON is YAML, so
 * the same parser finds the nodes; a text it cannot read gives no positions rather than an error.
 */
export function locateInJson(text: string): Locate | undefined {
  // Positions cost a second, slower parse: worth it for the bodies people write by hand, not for
  // any body an error can be provoked with.
  if (text.length > MAX_LOCATED_JSON) return undefined;
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  return doc.errors.length > 0 ? undefined : locator(doc.contents, lines);
}
