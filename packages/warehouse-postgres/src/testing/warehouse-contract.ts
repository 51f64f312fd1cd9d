import { isWarehouseError, type StepStatement, type TableName } from '@signalbox/core';
import type { PostgresWarehouse } from '../backend-warehouse';

/*
 * What every backend of the warehouse port must do, run against a real database: PostgreSQL and
 * PGlite alike. The suite shares one warehouse per file; each test works in schemas of its own.
 */

export const never = (): AbortSignal => new AbortController().signal;

let counter = 0;

/** A schema no other test uses. */
export const freshSchema = (label: string) => `${label}_${++counter}`;

/** A step with everything a test does not care about filled in. */
export function aStep(over: Partial<StepStatement> & { sql: string; output: TableName }): StepStatement {
  return {
    runId: 'run-1',
    step: `step-${++counter}`,
    jobType: 'extract',
    params: [],
    searchPath: [over.output.schema, 'public'],
    mode: 'replace',
    ...over,
  };
}

export const read = (w: PostgresWarehouse, sql: string, params: unknown[] = []) => w.read(sql, params, never());

/** Rows of a table as plain values, ordered by its first column. */
export const contents = async (w: PostgresWarehouse, t: TableName) =>
  (await read(w, `SELECT * FROM "${t.schema}"."${t.name}" ORDER BY 1`)).map((row) => ({ ...row }));

/** Everything a change could touch: schemas, tables and their columns, row counts. */
export async function catalogSnapshot(w: PostgresWarehouse) {
  const schemas = await read(w, `SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`);
  const columns = await read(
    w,
    `SELECT table_schema AS schema, table_name AS table, column_name AS column, data_type AS type FROM information_schema.columns
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, ordinal_position`,
  );
  const tables = [...new Set(columns.map((c) => `"${c.schema}"."${c.table}"`))];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await read(w, `SELECT count(*) AS n FROM ${table}`))[0].n);
  return { schemas, columns, counts };
}

/** Settles after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a promise took to settle, and how. */
export async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await work;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

export function warehouseContract(name: string, subject: () => PostgresWarehouse) {
  describe(`${name}: the warehouse contract`, () => {
    const w = () => subject();

    describe('replace', () => {
      it('writes the rows and answers their count; a second replace swaps them', async () => {
        const out = { schema: freshSchema('replace'), name: 'numbers' };
        const first = await w().execute(aStep({ output: out, sql: 'SELECT g AS n, $1::text AS label FROM generate_series(1, 3) g', params: ['one'] }), never());
        expect(first).toEqual({ rows: 3, cursor: null, replayed: false });
        const second = await w().execute(aStep({ output: out, sql: 'SELECT g * 10 AS n FROM generate_series(1, 2) g' }), never());
        expect(second).toEqual({ rows: 2, cursor: null, replayed: false });
        expect(await contents(w(), out)).toEqual([{ n: 10 }, { n: 20 }]);
      });

      it('keeps the previous contents when the query fails, and says what the database said', async () => {
        const out = { schema: freshSchema('failing'), name: 't' };
        await w().execute(aStep({ output: out, sql: 'SELECT 1 AS kept' }), never());
        const failed = w().execute(aStep({ output: out, sql: 'SELECT 10 / (g - 3) AS v FROM generate_series(1, 5) g' }), never());
        await expect(failed).rejects.toMatchObject({ name: 'WarehouseError', code: 'STEP_FAILED', sqlState: '22012', message: 'division by zero' });
        expect(await contents(w(), out)).toEqual([{ kept: 1 }]);
      });

      it('reads the step search path: unqualified names resolve in its first schema', async () => {
        const schema = freshSchema('path');
        await w().execute(aStep({ output: { schema, name: 'src' }, sql: 'SELECT 7 AS n' }), never());
        const outcome = await w().execute(
          aStep({ output: { schema, name: 'copy' }, sql: 'SELECT n + 1 AS n FROM src', searchPath: [schema, 'public'] }),
          never(),
        );
        expect(outcome.rows).toBe(1);
        expect(await contents(w(), { schema, name: 'copy' })).toEqual([{ n: 8 }]);
      });

      it('takes a query that ends with a semicolon or a line comment', async () => {
        const out = { schema: freshSchema('trailing'), name: 't' };
        await w().execute(aStep({ output: out, sql: 'SELECT 1 AS n ;\n' }), never());
        await w().execute(aStep({ output: { ...out, name: 'u' }, sql: 'SELECT 2 AS n -- the end' }), never());
        expect(await contents(w(), out)).toEqual([{ n: 1 }]);
        expect(await contents(w(), { ...out, name: 'u' })).toEqual([{ n: 2 }]);
      });
    });

    describe('a step without an output dataset', () => {
      it('runs its own statement, answering the rows it affected, once per run', async () => {
        const out = { schema: freshSchema('own'), name: 'log' };
        await w().execute(aStep({ output: out, sql: 'SELECT 1 AS n' }), never());
        const own = aStep({ output: out, sql: `INSERT INTO ${out.schema}.log SELECT g FROM generate_series(2, 4) g` });
        const step = { ...own, output: null };
        expect(await w().execute(step, never())).toEqual({ rows: 3, cursor: null, replayed: false });
        expect(await w().execute(step, never())).toEqual({ rows: 3, cursor: null, replayed: true });
        expect(await contents(w(), out)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      });
    });

    describe('append', () => {
      it('creates the table, then adds rows by column name, answering how many it added', async () => {
        const out = { schema: freshSchema('append'), name: 'events' };
        const first = await w().execute(
          aStep({ output: out, mode: 'append', sql: 'SELECT g AS id, $1::text AS kind FROM generate_series(1, 2) g', params: ['a'] }),
          never(),
        );
        const second = await w().execute(aStep({ output: out, mode: 'append', sql: "SELECT 'b'::text AS kind, 3 AS id" }), never());
        expect([first.rows, second.rows]).toEqual([2, 1]);
        expect(await contents(w(), out)).toEqual([
          { id: 1, kind: 'a' },
          { id: 2, kind: 'a' },
          { id: 3, kind: 'b' },
        ]);
      });
    });

    describe('merge', () => {
      it('inserts new keys and updates matched ones; rows are inserted plus updated', async () => {
        const out = { schema: freshSchema('merge'), name: 'users' };
        const merge = (sql: string) => w().execute(aStep({ output: out, mode: 'merge', key: ['id'], sql }), never());
        expect((await merge("SELECT * FROM (VALUES (1, 'ann'), (2, 'bob')) v(id, name)")).rows).toBe(2);
        expect((await merge("SELECT * FROM (VALUES (2, 'bobby'), (3, 'cy'), (4, 'di')) v(id, name)")).rows).toBe(3);
        expect(await contents(w(), out)).toEqual([
          { id: 1, name: 'ann' },
          { id: 2, name: 'bobby' },
          { id: 3, name: 'cy' },
          { id: 4, name: 'di' },
        ]);
      });

      it('merges on a key of several columns, and when every column is key only inserts', async () => {
        const out = { schema: freshSchema('merge_keys'), name: 'pairs' };
        const merge = (sql: string) => w().execute(aStep({ output: out, mode: 'merge', key: ['a', 'b'], sql }), never());
        await merge('SELECT * FROM (VALUES (1, 1), (1, 2)) v(a, b)');
        expect((await merge('SELECT * FROM (VALUES (1, 2), (2, 1)) v(a, b)')).rows).toBe(1);
        expect(await read(w(), `SELECT a, b FROM "${out.schema}".pairs ORDER BY a, b`)).toEqual([
          { a: 1, b: 1 },
          { a: 1, b: 2 },
          { a: 2, b: 1 },
        ]);
      });

      it('refuses a merge without a key', async () => {
        const out = { schema: freshSchema('merge_nokey'), name: 't' };
        await expect(w().execute(aStep({ output: out, mode: 'merge', sql: 'SELECT 1 AS id' }), never())).rejects.toMatchObject({ code: 'STEP_FAILED' });
      });
    });

    describe('cursor', () => {
      it('answers the greatest value of the cursor column as text, or null without rows', async () => {
        const out = { schema: freshSchema('cursor'), name: 'changes' };
        const step = (sql: string) => aStep({ output: out, mode: 'append', cursorColumn: 'changed_at', sql });
        const empty = await w().execute(step("SELECT 1 AS id, timestamptz '2026-01-01 00:00:00+00' AS changed_at WHERE false"), never());
        expect(empty.cursor).toBeNull();
        const some = await w().execute(
          step("SELECT * FROM (VALUES (1, timestamptz '2026-03-01 10:00:00+00'), (2, timestamptz '2026-03-02 11:30:00+00')) v(id, changed_at)"),
          never(),
        );
        expect(some.rows).toBe(2);
        expect(new Date(some.cursor!).toISOString()).toBe('2026-03-02T11:30:00.000Z');
      });
    });

    describe('ledger', () => {
      it('answers a step of a run that was committed before from the ledger, running nothing', async () => {
        const out = { schema: freshSchema('ledger'), name: 't' };
        const first = await w().execute(
          aStep({ runId: 'run-a', step: 'load', output: out, sql: 'SELECT g AS n FROM generate_series(1, 3) g', cursorColumn: 'n' }),
          never(),
        );
        const again = await w().execute(aStep({ runId: 'run-a', step: 'load', output: out, sql: 'SELECT 99 AS n', cursorColumn: 'n' }), never());
        expect(first).toEqual({ rows: 3, cursor: '3', replayed: false });
        expect(again).toEqual({ rows: 3, cursor: '3', replayed: true });
        expect(await contents(w(), out)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        const otherRun = await w().execute(aStep({ runId: 'run-b', step: 'load', output: out, sql: 'SELECT 99 AS n' }), never());
        expect(otherRun.replayed).toBe(false);
        expect(await contents(w(), out)).toEqual([{ n: 99 }]);
      });

      it('records nothing for a step that failed, so its next attempt runs', async () => {
        const out = { schema: freshSchema('ledger_failed'), name: 't' };
        await expect(w().execute(aStep({ runId: 'run-f', step: 'x', output: out, sql: 'SELECT 1 / 0 AS n' }), never())).rejects.toMatchObject({
          code: 'STEP_FAILED',
        });
        expect(await w().execute(aStep({ runId: 'run-f', step: 'x', output: out, sql: 'SELECT 1 AS n' }), never())).toMatchObject({ rows: 1, replayed: false });
      });
    });

    describe('values and statements', () => {
      it('binds a value that looks like SQL as data', async () => {
        const schema = freshSchema('inject');
        await w().execute(aStep({ output: { schema, name: 'x' }, sql: 'SELECT 1 AS survivor' }), never());
        const evil = "'; drop table x; --";
        await w().execute(aStep({ output: { schema, name: 'notes' }, sql: 'SELECT $1::text AS note', params: [evil], searchPath: [schema] }), never());
        expect(await contents(w(), { schema, name: 'notes' })).toEqual([{ note: evil }]);
        expect(await contents(w(), { schema, name: 'x' })).toEqual([{ survivor: 1 }]);
      });

      it('runs one statement: a query text with a second statement is refused', async () => {
        const schema = freshSchema('two');
        await w().execute(aStep({ output: { schema, name: 'victim' }, sql: 'SELECT 1 AS n' }), never());
        const sneaky = aStep({ output: { schema, name: 'out' }, sql: `SELECT 1 AS n; COMMIT; DROP TABLE "${schema}".victim` });
        await expect(w().plan([sneaky], never())).rejects.toMatchObject({ code: 'STEP_FAILED' });
        await expect(w().execute(sneaky, never())).rejects.toMatchObject({ code: 'STEP_FAILED' });
        expect(await contents(w(), { schema, name: 'victim' })).toEqual([{ n: 1 }]);
      });

      it('fails a step on a missing table with the SQLSTATE', async () => {
        const out = { schema: freshSchema('missing'), name: 't' };
        const err = await w()
          .execute(aStep({ output: out, sql: 'SELECT * FROM no_such_table' }), never())
          .catch((e) => e);
        expect(isWarehouseError(err)).toBe(true);
        expect(err).toMatchObject({ code: 'STEP_FAILED', sqlState: '42P01' });
        expect(err.message).toContain('no_such_table');
      });
    });

    describe('plan', () => {
      it('plans every step with its estimate, earlier outputs stood in, and changes nothing', async () => {
        const stage = freshSchema('plan_stage');
        const dest = freshSchema('plan_dest');
        await w().execute(aStep({ output: { schema: dest, name: 'kept' }, mode: 'append', sql: 'SELECT g AS n FROM generate_series(1, 4) g' }), never());
        await w().execute(aStep({ output: { schema: stage, name: 'numbers' }, sql: "SELECT 1 AS n, 'old'::text AS shape" }), never());
        const before = await catalogSnapshot(w());
        const fresh = freshSchema('plan_new');
        const steps = [
          aStep({ output: { schema: stage, name: 'numbers' }, sql: 'SELECT g AS n FROM generate_series(1, $1::int) g', params: [100] }),
          aStep({ output: { schema: fresh, name: 'doubled' }, sql: 'SELECT n * 2 AS n FROM numbers', searchPath: [stage, 'public'] }),
          aStep({ output: { schema: dest, name: 'kept' }, mode: 'append', sql: `SELECT n FROM "${fresh}".doubled` }),
          aStep({ output: { schema: dest, name: 'merged' }, mode: 'merge', key: ['n'], sql: `SELECT n FROM "${dest}".kept` }),
        ];
        const plans = await w().plan(steps, never());
        expect(plans).toHaveLength(4);
        expect(plans[0].estimatedRows).toBe(100);
        for (const p of plans) {
          expect(typeof p.estimatedRows).toBe('number');
          expect(p.plan).toEqual([expect.objectContaining({ Plan: expect.objectContaining({ 'Node Type': expect.any(String) }) })]);
        }
        expect(await catalogSnapshot(w())).toEqual(before);
      });

      it('fails on a missing table with the database message, changing nothing', async () => {
        const before = await catalogSnapshot(w());
        const step = aStep({ output: { schema: freshSchema('plan_missing'), name: 't' }, sql: 'SELECT * FROM nowhere' });
        await expect(w().plan([step], never())).rejects.toMatchObject({ code: 'STEP_FAILED', sqlState: '42P01' });
        expect(await catalogSnapshot(w())).toEqual(before);
      });
    });

    describe('cancelling', () => {
      const slow = (out: TableName) => aStep({ output: out, sql: 'SELECT 1 AS x FROM pg_sleep(5)' });

      it('rejects with the reason soon after the signal aborts; the previous contents stay and the next step runs', async () => {
        const out = { schema: freshSchema('cancel'), name: 't' };
        await w().execute(aStep({ output: out, sql: 'SELECT 42 AS x' }), never());
        const controller = new AbortController();
        const reason = Object.assign(new Error('run cancelled'), { code: 'RUN_CANCELLED' });
        const running = timed(w().execute(slow(out), controller.signal));
        await sleep(400);
        const abortedAt = Date.now();
        controller.abort(reason);
        const outcome = await running;
        expect(outcome.error).toBe(reason);
        expect(Date.now() - abortedAt).toBeLessThan(1_000);
        expect(await contents(w(), out)).toEqual([{ x: 42 }]);
        expect(await w().execute(aStep({ output: out, sql: 'SELECT 43 AS x' }), never())).toMatchObject({ rows: 1 });
        expect(await contents(w(), out)).toEqual([{ x: 43 }]);
      });

      it('times out with the signal of AbortSignal.timeout', async () => {
        const out = { schema: freshSchema('timeout'), name: 't' };
        await w().execute(aStep({ output: out, sql: 'SELECT 42 AS x' }), never());
        const outcome = await timed(w().execute(slow(out), AbortSignal.timeout(500)));
        expect(outcome.error).toMatchObject({ name: 'TimeoutError' });
        expect(outcome.ms).toBeLessThan(1_500);
        expect(await contents(w(), out)).toEqual([{ x: 42 }]);
        expect(await w().execute(aStep({ output: out, sql: 'SELECT 44 AS x' }), never())).toMatchObject({ rows: 1 });
      });

      it('runs nothing for a signal aborted before the call', async () => {
        const out = { schema: freshSchema('pre_aborted'), name: 't' };
        const reason = new Error('already over');
        await expect(w().execute(aStep({ output: out, sql: 'SELECT 1 AS x' }), AbortSignal.abort(reason))).rejects.toBe(reason);
        await expect(w().plan([aStep({ output: out, sql: 'SELECT 1 AS x' })], AbortSignal.abort(reason))).rejects.toBe(reason);
        expect(await read(w(), 'SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [out.schema])).toEqual([]);
      });
    });

    it('runs two steps at once, both to the end', async () => {
      const schema = freshSchema('together');
      const [a, b] = await Promise.all([
        w().execute(aStep({ output: { schema, name: 'a' }, sql: 'SELECT g AS n FROM generate_series(1, 5) g, pg_sleep(0.3)' }), never()),
        w().execute(aStep({ output: { schema, name: 'b' }, sql: 'SELECT g AS n FROM generate_series(1, 6) g, pg_sleep(0.3)' }), never()),
      ]);
      expect([a.rows, b.rows]).toEqual([5, 6]);
      expect(await contents(w(), { schema, name: 'b' })).toHaveLength(6);
    });
  });
}
