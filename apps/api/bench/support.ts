/** What the benchmarks of apps/api/bench share: their settings from the environment and the server they make databases on. */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const ROOT = resolve(__dirname, '../../..');

/** A numeric setting from the environment, else its default. */
export const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

/** The PostgreSQL server the benchmarks create their databases on. */
export const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on the server's own database (CREATE / DROP DATABASE). */
export async function admin(text: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The q-quantile (0..1) of the values, by rank: 0.5 is the median. */
export const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export interface Running {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first ready answer. */
  readyMs: number;
}

let built = false;

/**
 * The node arguments of the root `npm start` script (`exec node <arguments>`), read from
 * package.json: the benchmarks run what it runs. Its `prestart` (the build of what it runs, when
 * stale) runs first, once, as npm would run it.
 */
function startArguments(): string[] {
  const scripts: Record<string, string> = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).scripts;
  if (!built && scripts.prestart) {
    execSync(scripts.prestart, { cwd: ROOT, stdio: 'inherit' });
    built = true;
  }
  const m = /^exec node (.+)$/.exec(scripts.start.trim());
  if (!m) throw new Error(`the start script is not 'exec node …': ${scripts.start}`);
  return m[1].split(/\s+/);
}

/** Spawns the API as `npm start` does (the same node arguments) and waits until it is ready. */
export async function start(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = startArguments();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn', SIGNALBOX_RATE_LIMIT_PER_KEY: '0', SIGNALBOX_RATE_LIMIT_PER_ADDRESS: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error('the API exited before it was ready');
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, url, readyMs: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function stop(r: Running): Promise<void> {
  if (r.child.exitCode !== null) return;
  const done = new Promise((ok) => r.child.once('exit', ok));
  r.child.kill('SIGTERM');
  await done;
}

/** Resident memory of a process and its children, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const own = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {}
  return own + children.reduce((a, c) => a + rssMb(c), 0);
}

/** Settings of one database a benchmark runs the API on: its environment and its data folder. */
export type Measure = (label: string, env: Record<string, string>, dataDir: string) => Promise<void>;

/**
 * Runs `measure` on the embedded database (a fresh data folder), then on PostgreSQL (a fresh
 * database of BASE_URL, dropped at the end); `only` keeps one of them.
 */
export async function onEachDatabase(name: string, measure: Measure, only?: string): Promise<void> {
  if (only !== 'postgres') {
    const embedded = mkdtempSync(join(tmpdir(), `sbx-bench-${name}-`));
    try {
      await measure('embedded database (PGlite)', { SIGNALBOX_DATA_DIR: embedded }, embedded);
    } finally {
      rmSync(embedded, { recursive: true, force: true });
    }
  }
  if (only === 'embedded') return;
  const dbName = `sbx_bench_${name}_${process.pid}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const folder = mkdtempSync(join(tmpdir(), `sbx-bench-${name}-`));
  try {
    const url = new URL(BASE_URL);
    url.pathname = `/${dbName}`;
    await measure('PostgreSQL', { SIGNALBOX_DATA_DIR: folder, DATABASE_URL: url.toString(), SIGNALBOX_SECRET_KEY: 'bench-secret-key-0123456789' }, folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}
