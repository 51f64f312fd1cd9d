import { MAX_DEPTH, unstorableDetails } from './validation';

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

describe('unstorableDetails', () => {
  it('walks a million levels without overflowing the stack and reports the depth once', () => {
    const details = unstorableDetails(nested(1_000_000), 'body');
    expect(details).toHaveLength(1);
    expect(details[0].reason).toBe(`nests objects and arrays deeper than ${MAX_DEPTH} levels`);
    expect(String(details[0].field).split('.')).toHaveLength(MAX_DEPTH);
  });

  it('accepts exactly MAX_DEPTH levels and finds a NUL at the bottom', () => {
    expect(unstorableDetails(nested(MAX_DEPTH), 'body')).toEqual([]);
    expect(unstorableDetails(nested(MAX_DEPTH + 1), 'body')).toHaveLength(1);
    const [nul] = unstorableDetails(nested(MAX_DEPTH, 'x\u0000'), 'body');
    expect(nul.reason).toMatch(/NUL/);
  });

  it('reports problems in document order', () => {
    const details = unstorableDetails({ a: 'x\u0000', b: [Number.NaN, 'y\u0000'], c: { 'k\u0000': 1 } }, 'body');
    expect(details.map((d) => d.field)).toEqual(['a', 'b.0', 'b.1', 'c']);
  });
});
