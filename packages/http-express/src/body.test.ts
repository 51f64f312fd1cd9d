import { isDomainError } from '@signalbox/core';
import { locateInJson, MAX_LOCATED_JSON, parseYaml } from './body';

const failure = (text: string) => {
  try {
    parseYaml(text);
  } catch (err) {
    if (isDomainError(err)) return err;
    throw err;
  }
  throw new Error('parsed');
};

describe('YAML bodies', () => {
  it('refuses an alias bomb instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    const err = failure(`${levels.join('\n')}\n`);
    expect(err).toMatchObject({ kind: 'invalid', code: 'MALFORMED_YAML' });
    expect(err.details[0]).toMatchObject({ field: 'body', reason: expect.stringMatching(/alias/i) });
  });

  it('locates values, keys and list items, and nothing that is not there', () => {
    const { value, locate } = parseYaml('a:\n  b:\n    - 1\n    - {c: 2}\n');
    expect(value).toEqual({ a: { b: [1, { c: 2 }] } });
    expect(locate(['a', 'b', '1', 'c'])).toEqual({ line: 4, column: 11 });
    expect(locate(['a', 'b', '1', 'c'], true)).toEqual({ line: 4, column: 8 });
    expect(locate(['a', 'b', '0'])).toEqual({ line: 3, column: 7 });
    expect(locate(['a', 'x'])).toBeUndefined();
    expect(locate(['a', 'b', '7'])).toBeUndefined();
  });

  it('locates in JSON text, and gives up quietly on text it cannot read', () => {
    expect(locateInJson('{\n  "a": [1,\n    "two"]\n}')?.(['a', '1'])).toEqual({ line: 3, column: 5 });
    expect(locateInJson('{"a": ')).toBeUndefined();
    // A large body is not parsed a second time for positions.
    const large = JSON.stringify({ a: 'x'.repeat(MAX_LOCATED_JSON) });
    expect(locateInJson(large)).toBeUndefined();
    expect(locateInJson(JSON.stringify({ a: 'x' }))?.(['a'])).toEqual({ line: 1, column: 6 });
  });
});
