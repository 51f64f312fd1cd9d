import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository's root, where `npm start` runs. */
export const ROOT = resolve(__dirname, '../../../..');

export interface TestServer {
  url: string;
  /** An instance admin's key. */
  key: string;
  /** The space the tests work in. */
  space: string;
  stop(): Promise<void>;
}

/**
 * The API as `npm start` runs it (apps/api/src/main.ts, embedded PGlite, the embedded warehouse)
 * on a temporary data folder and a free port, without the demo; a space `acme` created through the
 * API with an admin key.
 */
export async function startServer(): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'signalbox-client-'));
  const key = `sbx_${randomBytes(24).toString('hex')}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: '',
      SIGNALBOX_DATA_DIR: dataDir,
      SIGNALBOX_ADMIN_API_KEY: key,
      SIGNALBOX_DEMO: '0',
      SIGNALBOX_RATE_LIMIT_PER_KEY: '0',
      SIGNALBOX_RATE_LIMIT_PER_ADDRESS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 120 s:\n${output.slice(-2000)}`)), 120_000);
    child.stdout!.on('data', (d) => {
      output += String(d);
      const m = /"message":"listening".*?"url":"([^"]+)"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.stderr!.on('data', (d) => {
      output += String(d);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output.slice(-2000)}`));
    });
  });
  const space = 'acme';
  const created = await fetch(`${url}/api/v1.0/spaces`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ slug: space, name: 'Acme' }),
  });
  if (created.status !== 201) throw new Error(`creating the space answered ${created.status}: ${await created.text()}`);
  return {
    url,
    key,
    space,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A managed pipeline whose steps each sleep `pause` seconds (a variable) in the warehouse, so its progress can be watched. */
export function slowPipeline(name: string, seconds: number, steps = 3): string {
  const lines = [`name: ${name}`, 'variables:', `  pause: ${seconds}`, 'sources:', '  - name: step_1', '    query: select 1 as n from pg_sleep(:pause)'];
  if (steps > 1) lines.push('transforms:');
  for (let i = 2; i <= steps; i++) lines.push(`  - name: step_${i}`, `    query: select n + 1 as n from step_${i - 1}, pg_sleep(:pause)`);
  return `${lines.join('\n')}\n`;
}
