import { shapeDiff } from './shape';

describe('shapeDiff', () => {
  it('finds nothing between documents of one shape with other values, nulls matching anything', () => {
    expect(shapeDiff({ a: 1, b: 'x', c: [{ d: true }], e: null }, { a: 2.5, b: 'y', c: [{ d: false }, { d: true }], e: { f: 1 } })).toEqual([]);
  });

  it('names the path of a missing key, an extra key and a type that differs, inside arrays too', () => {
    expect(shapeDiff({ dags: [{ dag_id: 'a', tags: [{ name: 'x' }] }] }, { dags: [{ dag_id: 'b', tags: [{ name: 1 }], extra: 0 }] })).toEqual([
      '$.dags[].extra: only in the second',
      '$.dags[].tags[].name: string vs number',
    ]);
    expect(shapeDiff({ total_entries: 1, items: [] }, { items: [] })).toEqual(['$.total_entries: only in the first']);
    expect(shapeDiff([{ a: 1 }, { a: 1, b: 2 }], [{ a: 1 }])).toEqual(['$[].b: only in the first']);
  });

  it('compares free-form values only as values of the same type', () => {
    expect(shapeDiff({ conf: { a: 1 } }, { conf: { b: 'x' } }, { freeForm: ['conf'] })).toEqual([]);
    expect(shapeDiff({ conf: { a: 1 } }, { conf: { b: 'x' } })).toHaveLength(2);
  });
});
