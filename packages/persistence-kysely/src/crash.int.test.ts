import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type Database, fromPGlite, openDatabase } from './database';
import { dropSchema, newPGlite, TEST_DATABASE_URL, uniqueSchema } from './testing/test-database';

const ROOT = join(__dirname, '..', '..', '..');
const WRITER = join(__dirname, 'testing', 'crash-writer.ts');
const ACKS_BEFORE_KILL = 30;

/** Runs the writer until it has acknowledged enough writes, kills it with SIGKILL, returns the last ack. */
function writeThenKill(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that SIGKILL would miss.
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let buffered = '';
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m) last = Number(m[1]);
      }
      if (last >= ACKS_BEFORE_KILL && !child.killed) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

async function expectAcknowledged(database: Database, lastAck: number) {
  const users = await sql<{ email: string }>`SELECT email FROM users`.execute(database.db);
  const emails = new Set(users.rows.map((r) => r.email));
  const pipelines = await sql<{ external_id: string }>`SELECT external_id FROM pipelines`.execute(database.db);
  const dags = new Set(pipelines.rows.map((r) => r.external_id));
  const missing: number[] = [];
  for (let n = 0; n <= lastAck; n++) if (!emails.has(`w${n}@crash.test`) || !dags.has(`dag_${n}`)) missing.push(n);
  expect(missing).toEqual([]);
  expect(emails.size).toBeGreaterThanOrEqual(lastAck + 1);
}

describe('acknowledged writes survive kill -9', () => {
  it('on PGlite in a data folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signalbox-crash-'));
    try {
      const lastAck = await writeThenKill(['pglite', dir]);
      expect(lastAck).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
      const pglite = newPGlite(dir);
      await pglite.waitReady;
      const database = fromPGlite(pglite);
      try {
        await expectAcknowledged(database, lastAck);
      } finally {
        await database.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('on PostgreSQL', async () => {
    const schema = uniqueSchema('crash');
    try {
      const lastAck = await writeThenKill(['postgres', TEST_DATABASE_URL, schema]);
      expect(lastAck).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
      const database = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 1 });
      try {
        await expectAcknowledged(database, lastAck);
      } finally {
        await database.close();
      }
    } finally {
      await dropSchema(schema);
    }
  }, 60_000);
});
