import { DomainError } from '../errors';
import type { DefinitionReader, ParsedText, SqlAnalysis, SqlParser, TextPosition } from '../ports/definition-tools';

/*
 * Small stand-ins for the definition adapters, for tests of the rules in the core: a reader of
 * JSON only (whatever format it is told), with positions, and a SQL "parser" made of regular
 * expressions. The real ones (YAML, PostgreSQL's parser) are tested in their own package.
 */

/** Where each value (and each member's key) starts, by JSON pointer. */
type Places = Map<string, { value: number; key?: number }>;

/** Reads JSON with JSON.parse, and finds where values start with a scanner of its own. */
export const fakeJsonReader: DefinitionReader = {
  read(text): ParsedText {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const reason = `invalid JSON: ${(err as Error).message}`;
      throw new DomainError('invalid', 'DEFINITION_SYNTAX', reason, { details: [{ field: '', reason, line: 1, column: 1 }] });
    }
    const places = scan(text);
    const position = (offset: number): TextPosition => {
      const lines = text.slice(0, offset).split('\n');
      return { line: lines.length, column: (lines.at(-1) as string).length + 1 };
    };
    const nearest = (pointer: string) => {
      let p = pointer;
      while (!places.has(p)) p = p.slice(0, Math.max(0, p.lastIndexOf('/')));
      return { place: places.get(p) as { value: number; key?: number }, exact: p === pointer };
    };
    return {
      value,
      locate: (pointer) => (pointer === '' ? { line: 1, column: 1 } : position(nearest(pointer).place.value)),
      locateKey(pointer) {
        const { place, exact } = nearest(pointer);
        return pointer === '' ? { line: 1, column: 1 } : position(exact && place.key !== undefined ? place.key : place.value);
      },
      locateInString(pointer, offset) {
        const { place, exact } = nearest(pointer);
        if (!exact || text[place.value] !== '"') return position(place.value);
        // Walk the raw string: an escape is one character of the value and 2 (or 6) of the text.
        let raw = place.value + 1;
        for (let n = 0; n < offset && text[raw] !== '"'; n++) raw += text[raw] !== '\\' ? 1 : text[raw + 1] === 'u' ? 6 : 2;
        return position(raw);
      },
    };
  },
};

function scan(text: string): Places {
  const places: Places = new Map();
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (pointer: string, key?: number): void => {
    space();
    places.set(pointer, { value: i, key });
    const c = text[i];
    if (c === '"') {
      string();
      return;
    }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      for (let n = 0; text[i] !== close; n++) {
        space();
        if (c === '{') {
          const at = i;
          const name = string();
          space();
          i++; // the colon
          value(`${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, at);
        } else {
          value(`${pointer}/${n}`);
        }
        space();
        if (text[i] === ',') i++;
      }
      i++;
      return;
    }
    while (i < text.length && !',}] \t\r\n'.includes(text[i])) i++;
  };
  value('');
  return places;
}

/**
 * A SQL "parser" of regular expressions: `@@` is a syntax error, `;` separates statements, a name
 * after FROM or JOIN is a table, `:name` (not `::`) is a variable.
 */
export const fakeSqlParser: SqlParser = {
  async analyze(sql): Promise<SqlAnalysis> {
    const bad = sql.indexOf('@@');
    if (bad !== -1) return { ok: false, message: 'syntax error at or near "@@"', offset: bad };
    const statements = sql.split(';').filter((s) => s.trim() !== '').length;
    const tables: { schema: string | null; name: string }[] = [];
    for (const m of sql.matchAll(/\b(?:from|join)\s+([a-z_]\w*)(?:\.([a-z_]\w*))?/gi)) {
      const table = m[2] === undefined ? { schema: null, name: m[1] } : { schema: m[1], name: m[2] };
      if (!tables.some((t) => t.schema === table.schema && t.name === table.name)) tables.push(table);
    }
    const variables: { name: string; offset: number }[] = [];
    for (const m of sql.matchAll(/(?<![:\w]):([A-Za-z_]\w*)/g)) {
      if (!variables.some((v) => v.name === m[1])) variables.push({ name: m[1], offset: m.index });
    }
    const positional = sql.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_m, name: string) => ` $${variables.findIndex((v) => v.name === name) + 1}`);
    return { ok: true, tables, variables, statements, positional };
  },
};
