import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@signalbox/core';
import { postgresWarehouses } from './postgres-warehouses';
import { aStep, contents, freshSchema, never, sleep, timed, warehouseContract } from './testing/warehouse-contract';

/** A logger that keeps what it was told, to see threads start and stop. */
const recorder = () => {
  const messages: string[] = [];
  const logger: Logger = { info: (m) => messages.push(m), warn: (m) => messages.push(m), error: (m) => messages.push(m) };
  return { logger, count: (m: string) => messages.filter((x) => x === m).length };
};

// PGlite takes seconds to start a warehouse; cancelling waits for pg_sleep to be interrupted.
jest.setTimeout(30_000);

const log = recorder();
const warehouses = postgresWarehouses({ dataDir: null, logger: log.logger });
const embedded = () => warehouses.of({ kind: 'embedded', spaceId: 'contract' });
afterAll(() => warehouses.close());

warehouseContract('PGlite', embedded);

describe('PGlite in a worker thread', () => {
  it('leaves the event loop free while a step runs', async () => {
    await embedded().execute(aStep({ output: { schema: freshSchema('warm'), name: 't' }, sql: 'SELECT 1 AS x' }), never());
    let worst = 0;
    let ticks = 0;
    let running = true;
    const tick = (expected: number) => {
      if (!running) return;
      ticks++;
      worst = Math.max(worst, Date.now() - expected);
      setTimeout(() => tick(Date.now() + 20), 20);
    };
    setTimeout(() => tick(Date.now() + 20), 20);
    const outcome = await embedded().execute(aStep({ output: { schema: freshSchema('loop'), name: 't' }, sql: 'SELECT 1 AS x FROM pg_sleep(2)' }), never());
    running = false;
    expect(outcome.rows).toBe(1);
    expect(ticks).toBeGreaterThan(50);
    expect(worst).toBeLessThan(100);
  });

  it('cancels by ending the thread; the next step starts a new one on the same data', async () => {
    const out = { schema: freshSchema('restart'), name: 't' };
    await embedded().execute(aStep({ output: out, sql: 'SELECT 1 AS x' }), never());
    const started = log.count('warehouse started');
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 300);
    await expect(embedded().execute(aStep({ output: out, sql: 'SELECT 2 AS x FROM pg_sleep(5)' }), controller.signal)).rejects.toBe(reason);
    expect(await contents(embedded(), out)).toEqual([{ x: 1 }]);
    expect(log.count('warehouse stopped (cancelled)')).toBeGreaterThan(0);
    expect(log.count('warehouse started')).toBe(started + 1);
  });

  it('lets a step that waits its turn give up without disturbing the one running', async () => {
    const schema = freshSchema('queue');
    const first = embedded().execute(aStep({ output: { schema, name: 'first' }, sql: 'SELECT 1 AS x FROM pg_sleep(1.5)' }), never());
    await sleep(100);
    const reason = new Error('gave up');
    const controller = new AbortController();
    const second = timed(embedded().execute(aStep({ output: { schema, name: 'second' }, sql: 'SELECT 2 AS x' }), controller.signal));
    await sleep(200);
    const abortedAt = Date.now();
    controller.abort(reason);
    expect((await second).error).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(100);
    expect(await first).toMatchObject({ rows: 1, replayed: false });
    expect(await contents(embedded(), { schema, name: 'first' })).toEqual([{ x: 1 }]);
    await expect(contents(embedded(), { schema, name: 'second' })).rejects.toMatchObject({ sqlState: '42P01' });
  });

  it('gives up promptly on a signal that aborts while the thread is still starting', async () => {
    const fresh = postgresWarehouses({ dataDir: null });
    try {
      const w = fresh.of({ kind: 'embedded', spaceId: 'starting' });
      const reason = new Error('too slow');
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 100);
      const outcome = await timed(w.execute(aStep({ output: { schema: 's', name: 't' }, sql: 'SELECT 1 AS x' }), controller.signal));
      expect(outcome.error).toBe(reason);
      expect(outcome.ms).toBeLessThan(600);
      expect(await w.execute(aStep({ output: { schema: 's', name: 't' }, sql: 'SELECT 1 AS x' }), never())).toMatchObject({ rows: 1 });
    } finally {
      await fresh.close();
    }
  });
});

describe('PGlite on a data folder', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'signalbox-warehouse-test-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('closes when idle and opens again with its data', async () => {
    const idle = recorder();
    const onDisk = postgresWarehouses({ dataDir, idleMs: 300, logger: idle.logger });
    try {
      const w = onDisk.of({ kind: 'embedded', spaceId: 'idle' });
      const out = { schema: 'kept', name: 't' };
      await w.execute(aStep({ output: out, sql: 'SELECT g AS n FROM generate_series(1, 3) g' }), never());
      for (let waited = 0; idle.count('warehouse closed (idle)') === 0 && waited < 5_000; waited += 100) await sleep(100);
      expect(idle.count('warehouse closed (idle)')).toBe(1);
      expect(await contents(w, out)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(idle.count('warehouse started')).toBe(2);
    } finally {
      await onDisk.close();
    }
  });

  it('answers WAREHOUSE_UNREACHABLE when PGlite cannot open the folder', async () => {
    const folder = join(dataDir, 'warehouses', 'broken');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'PG_VERSION'), '9\n');
    const broken = postgresWarehouses({ dataDir });
    try {
      const step = aStep({ output: { schema: 's', name: 't' }, sql: 'SELECT 1 AS x' });
      await expect(broken.of({ kind: 'embedded', spaceId: 'broken' }).execute(step, never())).rejects.toMatchObject({
        code: 'WAREHOUSE_UNREACHABLE',
        message: expect.stringContaining('could not open'),
      });
    } finally {
      await broken.close();
    }
  });

  it('refuses a space id that is not a plain folder name', () => {
    const w = postgresWarehouses({ dataDir });
    expect(() => w.of({ kind: 'embedded', spaceId: '../elsewhere' })).toThrow('cannot name a warehouse folder');
  });
});
