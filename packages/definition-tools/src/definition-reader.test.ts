import { DomainError, type TextPosition } from '@signalbox/core';
import { yamlDefinitionReader } from './definition-reader';

const reader = yamlDefinitionReader();

/** Line and column (1-based) of the `n`-th occurrence of `needle` in `text`, plus `extra` columns. */
function pos(text: string, needle: string, extra = 0, n = 0): TextPosition {
  let i = -1;
  for (let k = 0; k <= n; k++) i = text.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`${needle} not found`);
  const before = text.slice(0, i + extra);
  const line = before.split('\n').length;
  return { line, column: before.length - before.lastIndexOf('\n') };
}

function syntaxError(text: string, format: 'json' | 'yaml'): DomainError {
  try {
    reader.read(text, format);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const error = err as DomainError;
    expect(error).toMatchObject({ kind: 'invalid', code: 'DEFINITION_SYNTAX' });
    return error;
  }
  throw new Error('read accepted the text');
}

describe('yamlDefinitionReader: values and positions', () => {
  const yaml = [
    'name: daily_orders',
    'steps:',
    '  - name: extract',
    '    query: |',
    '      select *',
    '        from raw.orders',
    '      where day > :since',
    '  - name: load',
    '    query: |-',
    '      insert into t',
    '      select 1',
    '    folded: >',
    '      select a',
    '      from b',
    "    single: 'it''s :x'",
    '    double: "tab\\there :y"',
    '    plain: select :z from t',
    '    café: "é😀 :w"',
    '',
  ].join('\n');
  const parsed = reader.read(yaml, 'yaml');

  it('reads the value', () => {
    expect(parsed.value).toEqual({
      name: 'daily_orders',
      steps: [
        { name: 'extract', query: 'select *\n  from raw.orders\nwhere day > :since\n' },
        {
          name: 'load',
          query: 'insert into t\nselect 1',
          folded: 'select a from b\n',
          single: "it's :x",
          double: 'tab\there :y',
          plain: 'select :z from t',
          café: 'é😀 :w',
        },
      ],
    });
  });

  it('locates values, the root, and the nearest existing parent of a missing member', () => {
    expect(parsed.locate('')).toEqual({ line: 1, column: 1 });
    expect(parsed.locate('/name')).toEqual(pos(yaml, 'daily_orders'));
    expect(parsed.locate('/steps/1/name')).toEqual(pos(yaml, 'load'));
    expect(parsed.locate('/steps/0/query')).toEqual(pos(yaml, '|'));
    expect(parsed.locate('/steps/1/missing')).toEqual(pos(yaml, 'name: load'));
    expect(parsed.locate('/steps/7/name')).toEqual(pos(yaml, '- name: extract'));
  });

  it('locates the key of a member; an item, the root or a missing member as locate does', () => {
    expect(parsed.locateKey?.('/name')).toEqual(pos(yaml, 'name'));
    expect(parsed.locateKey?.('/steps/1/folded')).toEqual(pos(yaml, 'folded'));
    expect(parsed.locateKey?.('/steps/0/query')).toEqual(pos(yaml, 'query'));
    expect(parsed.locateKey?.('/steps/1')).toEqual(parsed.locate('/steps/1'));
    expect(parsed.locateKey?.('/steps/1/missing')).toEqual(parsed.locate('/steps/1/missing'));
    expect(parsed.locateKey?.('')).toEqual({ line: 1, column: 1 });
  });

  it('locates characters of a literal block, more-indented lines included', () => {
    const query = 'select *\n  from raw.orders\nwhere day > :since\n';
    expect(parsed.locateInString('/steps/0/query', query.indexOf(':since'))).toEqual(pos(yaml, ':since'));
    expect(parsed.locateInString('/steps/0/query', query.indexOf('from'))).toEqual(pos(yaml, 'from raw'));
    expect(parsed.locateInString('/steps/0/query', 0)).toEqual(pos(yaml, 'select *'));
    expect(parsed.locateInString('/steps/1/query', 'insert into t\nselect 1'.indexOf('1'))).toEqual(pos(yaml, 'select 1', 7));
  });

  it('locates characters of folded, plain, single- and double-quoted strings', () => {
    expect(parsed.locateInString('/steps/1/folded', 'select a from b'.indexOf('from'))).toEqual(pos(yaml, 'from b'));
    expect(parsed.locateInString('/steps/1/single', "it's :x".indexOf(':x'))).toEqual(pos(yaml, ':x'));
    expect(parsed.locateInString('/steps/1/double', 'tab\there :y'.indexOf(':y'))).toEqual(pos(yaml, ':y'));
    expect(parsed.locateInString('/steps/1/plain', 'select :z'.indexOf(':z'))).toEqual(pos(yaml, ':z'));
  });

  it('counts columns in UTF-16 units after non-ASCII text', () => {
    expect(parsed.locateInString('/steps/1/café', 'é😀 :w'.indexOf(':w'))).toEqual(pos(yaml, ':w'));
    expect(pos(yaml, ':w').column).toBe(yaml.split('\n')[17].indexOf(':w') + 1);
  });

  it('reads CRLF line endings and tabs inside a block', () => {
    const text = 'steps:\r\n  - query: |\r\n      select\ta,\r\n        :b\r\n';
    const crlf = reader.read(text, 'yaml');
    expect(crlf.value).toEqual({ steps: [{ query: 'select\ta,\n  :b\n' }] });
    expect(crlf.locateInString('/steps/0/query', 'select\ta,\n  :b'.indexOf(':b'))).toEqual({ line: 4, column: 9 });
    expect(crlf.locateInString('/steps/0/query', 'select\ta'.indexOf('a'))).toEqual({ line: 3, column: 14 });
  });

  it('reads JSON with positions, escapes included, over several lines', () => {
    const json = '{\n  "name": "x",\n  "steps": [\n    {"query": "select \\"a\\",\\n\\u00e9 :since from t"}\n  ]\n}\n';
    const doc = reader.read(json, 'json');
    expect(doc.value).toEqual({ name: 'x', steps: [{ query: 'select "a",\né :since from t' }] });
    expect(doc.locate('/steps/0/query')).toEqual(pos(json, '"select'));
    expect(doc.locateInString('/steps/0/query', 'select "a",\né :since'.indexOf(':since'))).toEqual(pos(json, ':since'));
    expect(doc.locateInString('/steps/0/query', 'select "a",\n'.indexOf('\n'))).toEqual(pos(json, '\\n'));
    expect(doc.locateInString('/steps/0/query', 'select "a",\n'.length)).toEqual(pos(json, '\\u00e9'));
  });

  it('decodes JSON pointer escapes', () => {
    const doc = reader.read('{"a/b": {"c~d": 1}}', 'json');
    expect(doc.locate('/a~1b/c~0d')).toEqual({ line: 1, column: 17 });
  });
});

describe('yamlDefinitionReader: refusals', () => {
  it('refuses YAML syntax errors at their line', () => {
    const error = syntaxError('name: a\nsteps: [1, 2\nother: x\n', 'yaml');
    expect(error.details[0]).toMatchObject({ field: '', line: expect.any(Number), column: expect.any(Number) });
    expect(error.details[0].line).toBeGreaterThan(1);
  });

  it('refuses duplicate keys in YAML and in JSON', () => {
    expect(syntaxError('a: 1\nb: 2\na: 3\n', 'yaml').details[0]).toMatchObject({ line: 3, column: 1 });
    expect(syntaxError('{"a": 1, "a": 2}', 'json').details[0]).toMatchObject({ line: 1, column: 10 });
  });

  it('refuses more than one document', () => {
    expect(syntaxError('a: 1\n---\nb: 2\n', 'yaml').details[0]).toMatchObject({ line: 2 });
  });

  it('refuses tags beyond the core schema, and unknown tags', () => {
    expect(syntaxError('a: !!binary aGVsbG8=\n', 'yaml').details[0]).toMatchObject({ line: 1 });
    expect(syntaxError('a: !!timestamp 2024-01-01\n', 'yaml').details[0].reason).toMatch(/Date/);
    expect(syntaxError('a: !custom x\n', 'yaml').details[0]).toMatchObject({ line: 1 });
  });

  it('keeps dates as strings (the core schema has no timestamps)', () => {
    expect(reader.read('day: 2024-01-01\n', 'yaml').value).toEqual({ day: '2024-01-01' });
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(syntaxError('a:\n  b: .inf\n', 'yaml').details[0]).toMatchObject({ line: 2, column: 6 });
    expect(syntaxError('a: .nan\n', 'yaml').details[0].reason).toMatch(/NaN/);
    expect(syntaxError('{"a": [1, 1e400]}', 'json').details[0]).toMatchObject({ line: 1, column: 11 });
  });

  it('refuses what JSON.parse refuses, where it is', () => {
    expect(syntaxError('[1, 2,]', 'json').details[0]).toMatchObject({ line: 1, column: 7 });
    expect(syntaxError('{\n  "a": 1,\n}', 'json').details[0]).toMatchObject({ line: 3, column: 1 });
    expect(syntaxError('// note\n{}', 'json').details[0]).toMatchObject({ line: 1, column: 1 });
    expect(syntaxError("{\n  'a': 1\n}", 'json').details[0]).toMatchObject({ line: 2, column: 3 });
    expect(syntaxError('{\n  a: 1\n}', 'json').details[0]).toMatchObject({ line: 2, column: 3 });
    expect(syntaxError('', 'json').details[0]).toMatchObject({ line: 1, column: 1 });
  });

  it('refuses a YAML bomb quickly, at an alias', () => {
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const error = syntaxError(`${levels.join('\n')}\n`, 'yaml');
    expect(error.details[0]).toMatchObject({ line: 2 });
    expect(error.details[0].reason).toMatch(/alias/);
  });

  it('refuses an alias nested inside its own anchor', () => {
    expect(syntaxError('a: &a [1, *a]\n', 'yaml').details[0].reason).toMatch(/nesting/);
  });

  it('refuses deep flow nesting at the first level too deep, in JSON and YAML', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(syntaxError(deep, 'json').details[0]).toMatchObject({ line: 1, column: 65 });
    expect(syntaxError(`a: ${deep}`, 'yaml').details[0]).toMatchObject({ line: 1, column: 68 });
  });

  it('refuses deep compact block nesting', () => {
    expect(syntaxError(`${'- '.repeat(100_000)}x\n`, 'yaml').details[0]).toMatchObject({ line: 1, column: 129 });
  });

  it('refuses deep indented nesting, and accepts the deepest allowed', () => {
    const nested = (depth: number) => `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`;
    expect(() => reader.read(nested(64), 'yaml')).not.toThrow();
    expect(syntaxError(nested(65), 'yaml').details[0]).toMatchObject({ line: 65 });
  });

  it('refuses a text over the size cap', () => {
    const small = yamlDefinitionReader({ maxBytes: 10 });
    expect(() => small.read('name: éééé', 'yaml')).toThrow(/larger than 10 bytes/);
    expect(() => small.read('name: a', 'yaml')).not.toThrow();
  });
});
