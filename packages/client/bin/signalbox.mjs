#!/usr/bin/env node
// The `signalbox` command. The package ships TypeScript sources (docs/adr/0002); a command line
// must start fast, so the first run bundles them into one CommonJS file with esbuild (about
// 0.3 s), and later runs load that file, bundling again whenever a source is newer than it.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'src', 'cli', 'main.ts');
const bundle = join(root, 'dist', 'cli', 'signalbox.cjs');

/** The newest modification time under a folder (tests excluded). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(path));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, statSync(path).mtimeMs);
  }
  return t;
}

function builtAt() {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return -1;
  }
}

if (builtAt() < Math.max(newest(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs)) {
  const { build } = await import('esbuild');
  const out = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'error' });
  // Written aside, then renamed: a command started meanwhile reads the old bundle or the new, whole.
  const part = `${bundle}.${process.pid}.part`;
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(part, out.outputFiles[0].contents);
  renameSync(part, bundle);
}

const { main } = createRequire(import.meta.url)(bundle);
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  signal: interrupt.signal,
});
