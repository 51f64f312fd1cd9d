import { readAhead } from './read-ahead';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A source of `n` items that logs when each fetch starts and ends, and whether it was closed. */
function source(n: number, log: string[], failAt?: number) {
  const state = { closed: false, fetched: 0 };
  async function* items() {
    try {
      for (let i = 1; i <= n; i++) {
        log.push(`fetch ${i}`);
        await tick();
        if (i === failAt) throw new Error(`page ${i} failed`);
        state.fetched = i;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { items: items(), state };
}

describe('readAhead', () => {
  it('yields every item in order', async () => {
    const seen: number[] = [];
    for await (const [i] of readAhead(source(5, []).items)) seen.push(i);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('fetches the next item while the caller works on the current one, and never more than one ahead', async () => {
    const log: string[] = [];
    const { items, state } = source(4, log);
    let mostAhead = 0;
    let consumed = 0;
    for await (const [i] of readAhead(items)) {
      log.push(`work ${i}`);
      await tick();
      await tick();
      consumed = i;
      mostAhead = Math.max(mostAhead, state.fetched - consumed);
      log.push(`done ${i}`);
    }
    // Item 2 is fetched while item 1 is being worked on, and so on.
    expect(log.indexOf('fetch 2')).toBeLessThan(log.indexOf('done 1'));
    expect(log.indexOf('fetch 3')).toBeLessThan(log.indexOf('done 2'));
    // …but item 3 only once item 1 is done: one ahead, never two.
    expect(log.indexOf('fetch 3')).toBeGreaterThan(log.indexOf('done 1'));
    expect(mostAhead).toBe(1);
  });

  it('fetches up to `ahead` items before they are asked for', async () => {
    const { items, state } = source(6, []);
    const it = readAhead(items, { ahead: 3 })[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([1]);
    for (let i = 0; i < 10; i++) await tick();
    expect(state.fetched).toBe(4);
    await it.return(undefined);
  });

  it('hands on a failure of the source at the item that failed, after the items before it', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const [i] of readAhead(source(5, [], 3).items)) {
        seen.push(i);
        await tick();
      }
    };
    await expect(run()).rejects.toThrow('page 3 failed');
    expect(seen).toEqual([1, 2]);
  });

  it('hands over the items that arrived while the caller worked as one batch, as far as `joins` accepts them', async () => {
    const { items } = source(9, []);
    const batches: number[][] = [];
    // Batches of at most three items; 5 always starts a batch of its own.
    const joins = (batch: readonly number[], next: number) => batch.length < 3 && next !== 5;
    for await (const batch of readAhead(items, { ahead: 4, joins })) {
      batches.push(batch);
      for (let i = 0; i < 10; i++) await tick();
    }
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The first item is handed over alone (nothing else has arrived); later ones in batches.
    expect(batches[0]).toEqual([1]);
    expect(batches.some((b) => b.length > 1)).toBe(true);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(3);
      expect(b.indexOf(5)).toBeLessThanOrEqual(0);
    }
  });

  it('batches only what has arrived: a caller as fast as its source gets one item at a time', async () => {
    const batches: number[][] = [];
    for await (const batch of readAhead(source(5, []).items, { ahead: 4, joins: () => true })) batches.push(batch);
    expect(batches).toEqual([[1], [2], [3], [4], [5]]);
  });

  it('keeps a failure out of a batch: the items before it are handed over, then the failure', async () => {
    const { items } = source(6, [], 4);
    const batches: number[][] = [];
    const run = async () => {
      for await (const batch of readAhead(items, { ahead: 5, joins: () => true })) {
        batches.push(batch);
        for (let i = 0; i < 10; i++) await tick();
      }
    };
    await expect(run()).rejects.toThrow('page 4 failed');
    expect(batches.flat()).toEqual([1, 2, 3]);
  });

  it('closes the source when the caller stops early', async () => {
    const { items, state } = source(10, []);
    for await (const [i] of readAhead(items)) if (i === 2) break;
    for (let i = 0; i < 10 && !state.closed; i++) await tick();
    expect(state.closed).toBe(true);
    expect(state.fetched).toBeLessThanOrEqual(3);
  });

  it('closes the source when the caller stops early with several fetches pending, once they have settled', async () => {
    const { items, state } = source(20, []);
    const batches: number[][] = [];
    for await (const batch of readAhead(items, { ahead: 5 })) {
      batches.push(batch);
      if (batches.length === 2) break;
    }
    // Without `joins`, one item a batch, however many were fetched ahead.
    expect(batches).toEqual([[1], [2]]);
    for (let i = 0; i < 20 && !state.closed; i++) await tick();
    expect(state.closed).toBe(true);
    // The fetches pending when the caller stopped ran to their end, and none after them.
    expect(state.fetched).toBeGreaterThanOrEqual(3);
    expect(state.fetched).toBeLessThanOrEqual(7);
  });

  it('refuses a read-ahead that is not a positive integer', async () => {
    await expect(readAhead(source(1, []).items, { ahead: 0 }).next()).rejects.toThrow(RangeError);
    await expect(readAhead(source(1, []).items, { ahead: 1.5 }).next()).rejects.toThrow(RangeError);
  });
});
