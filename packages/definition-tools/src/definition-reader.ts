import { type DefinitionFormat, type DefinitionReader, DomainError, type ErrorDetail, type ParsedText, type TextPosition } from '@signalbox/core';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import { type Document, isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';
import { type ScalarStyle, sourceOffset } from './string-offsets';

/** What a definition text may cost to read. */
export interface ReaderLimits {
  /** Largest text in UTF-8 bytes. */
  maxBytes: number;
  /** Most alias expansions (`*name`) in one document, counted as the `yaml` package counts them. */
  maxAliasCount: number;
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = { maxBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 64 };

const CODE = 'DEFINITION_SYNTAX';

/**
 * Reads JSON and YAML definitions with the `yaml` package (YAML 1.2, core schema: no timestamps,
 * no binary, no merge keys), keeping each node's place in the text. JSON is JSON: the text must
 * also pass `JSON.parse`, and where it does not, `jsonc-parser` (strict: no comments, no trailing
 * commas) says where.
 */
export function yamlDefinitionReader(limits: Partial<ReaderLimits> = {}): DefinitionReader {
  const caps = { ...DEFAULT_READER_LIMITS, ...limits };
  return { read: (text, format) => read(text, format, caps) };
}

function read(text: string, format: DefinitionFormat, caps: ReaderLimits): ParsedText {
  const lines = new LineCounter();
  const positionOf = (offset: number): TextPosition => {
    const { line, col } = lines.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, column: col };
  };
  const fail = (details: ErrorDetail[]): never => {
    throw new DomainError('invalid', CODE, `the definition cannot be read: ${details[0].reason}`, { details });
  };
  const problem = (reason: string, at: TextPosition = { line: 1, column: 1 }): ErrorDetail => ({ field: '', reason, ...at });

  if (Buffer.byteLength(text, 'utf8') > caps.maxBytes) fail([problem(`the text is larger than ${caps.maxBytes} bytes`)]);
  registerLines(text, lines);

  // A deep flow (`[[[[…`) or compact block (`- - - …`) nesting would exhaust the parser's stack or
  // time before any node exists: refuse it from the tokens, stopping at the first level too deep.
  const tooDeep = deepNesting(text, caps.maxDepth);
  if (tooDeep !== undefined) fail([problem(`nesting is deeper than ${caps.maxDepth} levels`, positionOf(tooDeep))]);

  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (err) {
      fail([jsonError(text, err, positionOf, problem)]);
    }
  }

  const doc = parseDocument(text, { schema: 'core', merge: false, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  const issues = [...doc.errors, ...doc.warnings];
  if (issues.length > 0) {
    fail(issues.map((e) => problem(firstLine(e.message), positionOf(e.pos[0]))));
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: caps.maxAliasCount });
  } catch (err) {
    const alias = firstAlias(doc);
    fail([
      problem(`aliases expand beyond the limit of ${caps.maxAliasCount}: ${firstLine(String((err as Error).message))}`, positionOf(alias?.range?.[0] ?? 0)),
    ]);
  }

  const located = (pointer: string) => nodeAt(doc, pointer);
  const bad = unsupportedValue(value, caps.maxDepth);
  if (bad) fail([problem(bad.reason, positionOf(startOf(located(bad.pointer).node)))]);

  return {
    value,
    locate(pointer) {
      if (pointer === '') return { line: 1, column: 1 };
      return positionOf(startOf(located(pointer).node));
    },
    locateKey(pointer) {
      if (pointer === '') return { line: 1, column: 1 };
      const { node, complete, key } = located(pointer);
      return positionOf(startOf(complete && key ? key : node));
    },
    locateInString(pointer, offset) {
      const { node, complete } = located(pointer);
      if (!complete || !isScalar(node) || typeof node.value !== 'string' || !node.range) return positionOf(startOf(node));
      const scalar = node as Scalar<string>;
      const style = (scalar.type ?? 'PLAIN') as ScalarStyle;
      return positionOf(sourceOffset(text, node.range[0], node.range[1], style, scalar.value, offset));
    },
  };
}

/** `LineCounter` is filled by the parser; the JSON path can fail before it runs, so fill it here. */
function registerLines(text: string, lines: LineCounter): void {
  lines.addNewLine(0);
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines.addNewLine(at + 1);
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function jsonError(
  text: string,
  err: unknown,
  positionOf: (offset: number) => TextPosition,
  problem: (reason: string, at?: TextPosition) => ErrorDetail,
): ErrorDetail {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const message = (err as Error).message;
  if (errors.length > 0) {
    // `ValueExpected` → `value expected`: short, and free of the text JSON.parse quotes back.
    const reason = printParseErrorCode(errors[0].error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    return problem(`invalid JSON: ${reason}`, positionOf(errors[0].offset));
  }
  // Both parsers should agree; if only JSON.parse refuses, its own position (when it gives one).
  const at = /at position (\d+)/.exec(message);
  return problem(`invalid JSON: ${message}`, positionOf(at ? Number(at[1]) : 0));
}

/**
 * The offset of the first token that opens a level deeper than `maxDepth`, if any. Flow collections
 * count by their brackets; block collections by the indicators (`-`, `?`, `:`) a line opens in
 * compact form. Indented block nesting is bounded by the text size and is checked on the value.
 */
function deepNesting(text: string, maxDepth: number): number | undefined {
  let offset = 0;
  let flow = 0;
  let compact = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      flow += 1;
      if (flow > maxDepth) return offset;
    } else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if (token === '\n' || token === '\r\n') compact = 0;
    else if (flow === 0 && (token === '-' || token === '?' || token === ':')) {
      compact += 1;
      if (compact > maxDepth) return offset;
    }
    // Control tokens (document and scalar markers) take no place in the text.
    if (token.length === 1 && token.charCodeAt(0) < 0x20 && token !== '\n' && token !== '\t') continue;
    offset += token.length;
  }
  return undefined;
}

/** The first thing a definition cannot hold, as a JSON pointer and a reason. */
function unsupportedValue(value: unknown, maxDepth: number): { pointer: string; reason: string } | undefined {
  const visit = (v: unknown, pointer: string, depth: number): { pointer: string; reason: string } | undefined => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
    if (typeof v === 'number') return Number.isFinite(v) ? undefined : { pointer, reason: `${v} is not a number JSON can carry` };
    if (typeof v !== 'object') return { pointer, reason: `a ${typeof v} is not a JSON value` };
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
      return { pointer, reason: `a ${(v as object).constructor?.name ?? 'tagged value'} is not a JSON value (only the YAML core schema is read)` };
    }
    // An alias may nest a collection inside itself; the depth cap stops that as well.
    if (depth >= maxDepth) return { pointer, reason: `nesting is deeper than ${maxDepth} levels` };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as object);
    for (const [key, child] of entries) {
      const found = visit(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(value, '', 0);
}

function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  const visit = (node: unknown, depth: number): void => {
    if (found || depth > 200 || !node || typeof node !== 'object') return;
    if (isAlias(node)) {
      found = node;
      return;
    }
    if (isMap(node)) for (const pair of node.items) visit(pair.value, depth + 1);
    if (isSeq(node)) for (const item of node.items) visit(item, depth + 1);
  };
  visit(doc.contents, 0);
  return found;
}

/** Decodes one RFC 6901 reference token. */
const unescapeToken = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * The node at `pointer`, or the nearest enclosing one that exists (`complete: false`). An alias
 * is followed to its anchor.
 */
function nodeAt(doc: Document, pointer: string): { node: Node | null; complete: boolean; key?: Node } {
  let node = doc.contents as Node | null;
  if (pointer === '') return { node, complete: true };
  const tokens = pointer.split('/').slice(1).map(unescapeToken);
  let key: Node | undefined;
  for (const token of tokens) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    let next: Node | null | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value ?? '') === token);
      if (pair) {
        key = pair.key as Node;
        next = (pair.value as Node | null) ?? null;
        // `name:` with nothing after it: the key is the place to point at.
        if (next === null || (isScalar(next) && next.range && next.range[0] === next.range[1])) next = key;
      }
    } else if (isSeq(node) && /^(0|[1-9][0-9]*)$/.test(token)) {
      next = node.items[Number(token)] as Node | undefined;
      // An item has no key of its own.
      key = undefined;
    }
    if (next === undefined) return { node, complete: false };
    node = next;
  }
  if (isAlias(node)) return { node, complete: false };
  return { node, complete: true, key };
}

function startOf(node: Node | null): number {
  return node?.range?.[0] ?? 0;
}
