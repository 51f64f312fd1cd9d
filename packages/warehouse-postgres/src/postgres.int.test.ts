import { createServer, type Server } from 'node:net';
import type { Logger } from '@signalbox/core';
import pg from 'pg';
import type { PostgresWarehouse } from './backend-warehouse';
import { DATABASE_IDENTITY_SQL } from './pg-backend';
import { postgresWarehouses } from './postgres-warehouses';
import { freshDatabase, TEST_DATABASE_URL } from './testing/test-database';
import { aStep, contents, freshSchema, never, sleep, timed, warehouseContract } from './testing/warehouse-contract';

// Creating and dropping databases, and waiting for pg_sleep to be cancelled.
jest.setTimeout(30_000);

const warehouses = postgresWarehouses({ dataDir: null });
let db: Awaited<ReturnType<typeof freshDatabase>>;
let warehouse: PostgresWarehouse;

const connector = (url: string, password: string | null = null, connectorId = 'wh') => ({
  kind: 'connector' as const,
  spaceId: 'space',
  connectorId,
  url,
  password,
});

/** Sessions of the adapter on the test database, as the server sees them. */
async function adapterSessions(database: string): Promise<{ state: string; query: string }[]> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query("SELECT state, query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'signalbox-warehouse'", [database]);
    return rows;
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  db = await freshDatabase('contract');
  warehouse = warehouses.of(connector(db.url));
});
afterAll(async () => {
  await warehouses.close();
  await db.drop();
});

warehouseContract('PostgreSQL', () => warehouse);

describe('PostgreSQL specifics', () => {
  it('cancels the statement on the server, not only the call', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 300);
    await expect(
      warehouse.execute(aStep({ output: { schema: freshSchema('server'), name: 't' }, sql: 'SELECT 1 AS x FROM pg_sleep(20)' }), controller.signal),
    ).rejects.toThrow('stop');
    let sleeping = await adapterSessions(db.name);
    for (let waited = 0; sleeping.some((s) => s.query.includes('pg_sleep(20)')) && waited < 1_000; waited += 50) {
      await sleep(50);
      sleeping = await adapterSessions(db.name);
    }
    expect(sleeping.filter((s) => s.query.includes('pg_sleep(20)'))).toEqual([]);
  });

  it('gives one warehouse per target, and a new one when the connector changes', () => {
    const w = postgresWarehouses({ dataDir: null });
    expect(w.of(connector(db.url, 'a'))).toBe(w.of(connector(db.url, 'a')));
    expect(w.of(connector(db.url, 'b'))).not.toBe(w.of(connector(db.url, 'a')));
    expect(w.of(connector(`${db.url}?x=1`, 'a'))).not.toBe(w.of(connector(db.url, 'a')));
    expect(w.of({ kind: 'embedded', spaceId: 's' })).toBe(w.of({ kind: 'embedded', spaceId: 's' }));
    return w.close();
  });

  it('closes the pool when idle and connects again on the next step', async () => {
    const messages: string[] = [];
    const logger: Logger = { info: (m) => messages.push(m), warn: () => undefined, error: () => undefined };
    const idle = postgresWarehouses({ dataDir: null, idleMs: 200, logger });
    const own = await freshDatabase('idle');
    const target = connector(own.url, null, 'idle');
    try {
      const out = { schema: 'kept', name: 't' };
      await idle.of(target).execute(aStep({ output: out, sql: 'SELECT 5 AS n' }), never());
      expect(await adapterSessions(own.name)).toHaveLength(1);
      for (let waited = 0; !messages.includes('warehouse closed (idle)') && waited < 3_000; waited += 50) await sleep(50);
      expect(messages).toContain('warehouse closed (idle)');
      for (let waited = 0; (await adapterSessions(own.name)).length > 0 && waited < 1_000; waited += 50) await sleep(50);
      expect(await adapterSessions(own.name)).toEqual([]);
      expect(await contents(idle.of(target), out)).toEqual([{ n: 5 }]);
    } finally {
      await idle.close();
      await own.drop();
    }
  });

  describe('several processes on one new database', () => {
    let shared: Awaited<ReturnType<typeof freshDatabase>>;
    beforeAll(async () => {
      shared = await freshDatabase('race');
    });
    afterAll(() => shared.drop());

    /** One set of warehouses per simulated process, each with its own pool. */
    const processes = (n: number) => Array.from({ length: n }, () => postgresWarehouses({ dataDir: null }));

    it('create the ledger and a new schema at the same moment without failing', async () => {
      const all = processes(6);
      try {
        const outcomes = await Promise.all(
          all.map((p, i) => p.of(connector(shared.url)).execute(aStep({ output: { schema: 'fresh', name: `t${i}` }, sql: `SELECT ${i} AS n` }), never())),
        );
        expect(outcomes.map((o) => o.rows)).toEqual([1, 1, 1, 1, 1, 1]);
      } finally {
        await Promise.all(all.map((p) => p.close()));
      }
    });

    it('write one new table from two runs at once: both succeed, in turn', async () => {
      const all = processes(4);
      const out = { schema: 'appended', name: 'events' };
      try {
        // The schema exists already: the table alone is new.
        await all[0].of(connector(shared.url)).execute(aStep({ output: { ...out, name: 'other' }, sql: 'SELECT 1 AS n' }), never());
        const outcomes = await Promise.all(
          all.map((p, i) =>
            p.of(connector(shared.url)).execute(aStep({ runId: `run-${i}`, output: out, mode: 'append', sql: `SELECT ${i} AS n FROM pg_sleep(0.2)` }), never()),
          ),
        );
        expect(outcomes.map((o) => o.rows)).toEqual([1, 1, 1, 1]);
        expect(await contents(all[0].of(connector(shared.url)), out)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
      } finally {
        await Promise.all(all.map((p) => p.close()));
      }
    });

    it('run the same step of a run twice at once: it is written once, the other attempt replays it', async () => {
      const all = processes(2);
      const out = { schema: 'resumed', name: 'loaded' };
      try {
        const outcomes = await Promise.all(
          all.map((p) =>
            p
              .of(connector(shared.url))
              .execute(aStep({ runId: 'run-x', step: 'load', output: out, mode: 'append', sql: 'SELECT 1 AS n FROM pg_sleep(0.2)' }), never()),
          ),
        );
        expect(outcomes.map((o) => o.replayed).sort()).toEqual([false, true]);
        expect(await contents(all[0].of(connector(shared.url)), out)).toEqual([{ n: 1 }]);
      } finally {
        await Promise.all(all.map((p) => p.close()));
      }
    });
  });

  describe("Signalbox's own database", () => {
    const identity = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(DATABASE_IDENTITY_SQL)).rows[0];
      } finally {
        await client.end();
      }
    };

    it('is refused as a warehouse, whichever URL names it; another database of the same server is not', async () => {
      const own = await identity(db.url);
      const guarded = postgresWarehouses({ dataDir: null, signalbox: async () => own });
      try {
        const step = aStep({ output: { schema: freshSchema('own'), name: 't' }, sql: 'SELECT 1 AS n' });
        const sameDb = new URL(db.url);
        sameDb.hostname = 'localhost'; // another spelling of the same database
        for (const url of [db.url, sameDb.toString()]) {
          await expect(guarded.of(connector(url, null, `own-${url}`)).execute(step, never())).rejects.toMatchObject({ code: 'WAREHOUSE_FORBIDDEN' });
        }
        const other = await freshDatabase('not_own');
        try {
          await expect(guarded.of(connector(other.url, null, 'other')).execute(step, never())).resolves.toMatchObject({ rows: 1 });
        } finally {
          await guarded.close();
          await other.drop();
        }
      } finally {
        await guarded.close();
      }
    });
  });

  describe('unreachable', () => {
    const step = aStep({ output: { schema: 's', name: 't' }, sql: 'SELECT 1 AS x' });
    const attempt = async (url: string, password: string | null = null) => {
      const w = postgresWarehouses({ dataDir: null });
      try {
        return await timed(w.of(connector(url, password)).execute(step, never()));
      } finally {
        await w.close();
      }
    };

    /** A port nothing listens on. */
    const closedPort = async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      await new Promise((resolve) => server.close(resolve));
      return port;
    };

    it('a closed port', async () => {
      const port = await closedPort();
      const outcome = await attempt(`postgres://postgres@127.0.0.1:${port}/test`, 'secret-pw');
      expect(outcome.error).toMatchObject({ code: 'WAREHOUSE_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:${port}`) });
      expect((outcome.error as Error).message).not.toContain('secret-pw');
    });

    it('an unknown database', async () => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = '/no_such_database_here';
      const outcome = await attempt(url.toString());
      expect(outcome.error).toMatchObject({ code: 'WAREHOUSE_UNREACHABLE', sqlState: '3D000', message: expect.stringContaining('no_such_database_here') });
    });

    it('an invalid URL', async () => {
      for (const url of ['not a url at all', 'http://127.0.0.1:5432/test']) {
        const outcome = await attempt(url, 'secret-pw');
        expect(outcome.error).toMatchObject({ code: 'WAREHOUSE_UNREACHABLE', message: 'the warehouse URL is not a valid PostgreSQL URL' });
      }
    });

    describe('a wrong password', () => {
      // The machines' PostgreSQL trusts every local connection, so a server that asks for a
      // password and refuses it (as PostgreSQL does, in its protocol) stands in.
      let server: Server;
      let port: number;
      const received: string[] = [];
      const refusal = () => {
        const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "postgres"'].map((f) => Buffer.from(`${f}\0`));
        const body = Buffer.concat([...fields, Buffer.from([0])]);
        const head = Buffer.alloc(5);
        head.write('E');
        head.writeInt32BE(body.length + 4, 1);
        return Buffer.concat([head, body]);
      };
      beforeAll(async () => {
        server = createServer((socket) => {
          socket.once('data', () => {
            socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
            socket.once('data', (password) => {
              received.push(password.toString());
              socket.end(refusal());
            });
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        port = (server.address() as { port: number }).port;
      });
      afterAll(() => new Promise((resolve) => server.close(resolve)));

      it('is refused without the password in the message', async () => {
        const outcome = await attempt(`postgres://postgres@127.0.0.1:${port}/test`, 'secret-pw');
        expect(received.join('')).toContain('secret-pw');
        expect(outcome.error).toMatchObject({ code: 'WAREHOUSE_UNREACHABLE', sqlState: '28P01', message: expect.stringContaining(`127.0.0.1:${port}/test`) });
        expect((outcome.error as Error).message).toContain('password authentication failed');
        expect((outcome.error as Error).message).not.toContain('secret-pw');
      });
    });
  });
});
