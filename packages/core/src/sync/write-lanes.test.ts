import { WriteLanes } from './write-lanes';

interface Row {
  key: string;
  n: number;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await tick();
};

/** A gate a write waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Rows `n` = 0.. of keys k0..k(keys-1), in turn. */
const rows = (count: number, keys: number, from = 0): Row[] => Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % keys}`, n: from + i }));

describe('WriteLanes', () => {
  it("writes every row, each key's rows in the order added, at most a batch a write, however long each write takes", async () => {
    const written: Row[] = [];
    const sizes: number[] = [];
    let writes = 0;
    const lanes = new WriteLanes<Row>({
      lanes: 3,
      batchRows: 4,
      keyOf: (r) => r.key,
      write: async (batch) => {
        sizes.push(batch.length);
        // Every other write is slow: a key's rows split over two lanes would land out of order.
        await ticks(++writes % 2 === 0 ? 1 : 8);
        written.push(...batch);
      },
    });
    for (let page = 0; page < 10; page++) await lanes.add(rows(7, 12, page * 7));
    await lanes.drain();
    expect(written.map((r) => r.n).sort((a, b) => a - b)).toEqual(rows(70, 12).map((r) => r.n));
    for (let k = 0; k < 12; k++) {
      const ofKey = written.filter((r) => r.key === `k${k}`).map((r) => r.n);
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  });

  it('runs up to `lanes` writes at once, never more', async () => {
    let running = 0;
    let most = 0;
    const lanes = new WriteLanes<Row>({
      lanes: 2,
      batchRows: 3,
      keyOf: (r) => r.key,
      write: async () => {
        most = Math.max(most, ++running);
        await ticks(3);
        running--;
      },
    });
    for (let page = 0; page < 8; page++) await lanes.add(rows(6, 20, page * 6));
    await lanes.drain();
    expect(most).toBe(2);
  });

  it('makes `add` wait while a lane holds a full batch besides the one it writes', async () => {
    const first = gate();
    const batches: number[][] = [];
    const lanes = new WriteLanes<Row>({
      lanes: 1,
      batchRows: 2,
      keyOf: (r) => r.key,
      write: async (batch) => {
        batches.push(batch.map((r) => r.n));
        if (batches.length === 1) await first.opened;
      },
    });
    await lanes.add(rows(2, 1)); // written at once
    await lanes.add(rows(1, 1, 2)); // waits: less than a batch
    let added = false;
    const adding = lanes.add(rows(1, 1, 3)).then(() => {
      added = true;
    });
    await ticks(5);
    expect(added).toBe(false); // a full batch waits behind the write
    first.open();
    await adding;
    await lanes.drain();
    expect(batches).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it("rejects with a failed write's error once no write runs, and starts no write after it", async () => {
    const slow = gate();
    const started: string[] = [];
    const lanes = new WriteLanes<Row>({
      lanes: 2,
      batchRows: 1,
      keyOf: (r) => r.key,
      write: async ([row]) => {
        started.push(row.key);
        if (row.key === 'k0') throw new Error('disk full');
        await slow.opened;
      },
    });
    // k0 and k1 hash to different lanes of two (checked below by both starting at once).
    await lanes.add([{ key: 'k1', n: 0 }]);
    let settled = false;
    const adding = lanes
      .add([
        { key: 'k0', n: 1 },
        { key: 'k0', n: 2 },
      ])
      .finally(() => {
        settled = true;
      });
    adding.catch(() => undefined);
    await ticks(5);
    expect(started).toEqual(['k1', 'k0']);
    expect(settled).toBe(false); // k1's write still runs
    slow.open();
    await expect(adding).rejects.toThrow('disk full');
    await expect(lanes.drain()).rejects.toThrow('disk full');
    await expect(lanes.add([{ key: 'k1', n: 3 }])).rejects.toThrow('disk full');
    expect(started).toEqual(['k1', 'k0']); // neither k0's second row nor k1's next was written
  });

  it('stops on `close`: no write starts after it, and it resolves once the running ones end', async () => {
    const slow = gate();
    const started: number[] = [];
    const lanes = new WriteLanes<Row>({
      lanes: 1,
      batchRows: 2,
      keyOf: (r) => r.key,
      write: async ([row]) => {
        started.push(row.n);
        await slow.opened;
      },
    });
    await lanes.add(rows(1, 1)); // written at once
    await lanes.add(rows(1, 1, 1)); // waits behind it
    let closed = false;
    const closing = lanes.close().then(() => {
      closed = true;
    });
    await ticks(3);
    expect(closed).toBe(false);
    slow.open();
    await closing;
    expect(started).toEqual([0]);
    await expect(lanes.add(rows(1, 1))).rejects.toThrow('closed');
  });

  it('refuses lanes or batches that are not positive integers', () => {
    const write = async () => undefined;
    const keyOf = (r: Row) => r.key;
    expect(() => new WriteLanes<Row>({ lanes: 0, batchRows: 1, keyOf, write })).toThrow(RangeError);
    expect(() => new WriteLanes<Row>({ lanes: 1.5, batchRows: 1, keyOf, write })).toThrow(RangeError);
    expect(() => new WriteLanes<Row>({ lanes: 1, batchRows: 0, keyOf, write })).toThrow(RangeError);
  });
});
