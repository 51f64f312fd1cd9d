import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/* Real processes for tests that need them: `npm start` and `npm run worker` as child processes. */

const ROOT = resolve(__dirname, '../../..');

export interface Proc {
  name: string;
  child: ChildProcess;
  logs: Record<string, unknown>[];
  url?: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** One API process (`main.ts`) or worker process (`worker-main.ts`) on the test's database, JSON logs collected. */
export function spawnProcess(name: string, script: 'main' | 'worker-main', env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/api/src/${script}.ts`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = {
    name,
    child,
    logs: [],
    exited: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal, at: Date.now() }))),
  };
  let rest = '';
  child.stdout!.on('data', (d) => {
    const lines = (rest + String(d)).split('\n');
    rest = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        proc.logs.push({ ...entry, seen: Date.now() });
        if (entry.message === 'listening') proc.url = entry.url as string;
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', () => {});
  return proc;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The log entries of a message, from a process. */
export const logged = (p: Proc, message: string) => p.logs.filter((l) => l.message === message);
