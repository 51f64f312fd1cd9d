#!/usr/bin/env node
/**
 * Builds what `npm start` runs: apps/api/src/main.ts and the workspace packages it imports, bundled
 * by esbuild into apps/api/build/main.js (CommonJS, with a source map). Third-party packages stay
 * in node_modules. Each bundled file keeps its own `__dirname`, so paths next to the sources (the
 * demo's pipeline, the console's build, the embedded warehouse's thread) stay where they were.
 *
 *   node scripts/build-api.mjs              build
 *   node scripts/build-api.mjs --if-stale   build only when a source is newer than the build
 *   node scripts/build-api.mjs --out FILE   build FILE instead (tests)
 *
 * Run by `npm install` (prepare) and before `npm start` (prestart, --if-stale). docs/operations.md § Running it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'apps', 'api', 'src', 'main.ts');
const outArg = process.argv.indexOf('--out');
const OUT = outArg >= 0 ? resolve(process.argv[outArg + 1]) : join(ROOT, 'apps', 'api', 'build', 'main.js');
/** Where the bundled sources live: a change under any of them makes the build stale. */
const SOURCE_DIRS = [join(ROOT, 'apps', 'api', 'src'), join(ROOT, 'packages')];
/**
 * Files outside them that change what the build is: the dependencies installed (a package moved
 * by `npm install <name>` or `npm update`, which run no `prepare`) and the compiler settings.
 */
const SETTINGS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.base.json',
  join('apps', 'api', 'package.json'),
  join('apps', 'api', 'tsconfig.json'),
].map((file) => join(ROOT, file));

/** The newest modification time of a source file (TypeScript, JavaScript, JSON) under `dir`, skipping builds and dependencies. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'build' || entry.name === 'bench') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|tsx|mts|cts|js|mjs|cjs|json)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The build's first line: it names the checkout it was built in, because it requires files there
 * by their absolute paths (its own `__dirname`s, and packages a workspace holds a version of).
 */
const BANNER = `// signalbox API build of ${ROOT}`;

/** Whether the build is missing, was made in another folder (a moved checkout), or is older than a source or than this script. */
function isStale() {
  if (!existsSync(OUT)) return true;
  const fd = openSync(OUT, 'r');
  const head = Buffer.alloc(Buffer.byteLength(BANNER) + 1);
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (head.toString('utf8') !== `${BANNER}\n`) return true;
  const built = statSync(OUT).mtimeMs;
  const settings = [fileURLToPath(import.meta.url), ...SETTINGS].filter((file) => existsSync(file));
  return settings.some((file) => statSync(file).mtimeMs > built) || SOURCE_DIRS.some((dir) => newestSource(dir) > built);
}

/** Keeps `__dirname` and `__filename` of every bundled source file its own. */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!/__dirname|__filename/.test(source)) return undefined;
      // On the file's first line, so that the source map's lines stay the file's own.
      const contents = `const __dirname = ${JSON.stringify(dirname(args.path))}, __filename = ${JSON.stringify(args.path)}; ${source}`;
      return { contents, loader: args.path.endsWith('ts') ? 'ts' : 'js' };
    });
  },
};

/**
 * Workspace packages (@signalbox/*) are bundled; every other bare import stays a `require` of the
 * file it resolves to from its importer, unless `require` cannot load it (an export naming a
 * missing file): that one is bundled too.
 */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@signalbox/')) return undefined;
      try {
        const resolved = createRequire(join(args.resolveDir, 'index.js')).resolve(args.path);
        // Built-in modules resolve to their own name. A package is required by the file its importer
        // resolves to: a workspace may hold its own version of it, which the build's folder would not find.
        if (resolved === args.path) return { path: args.path, external: true };
        return existsSync(resolved) ? { path: resolved, external: true } : undefined;
      } catch {
        return undefined;
      }
    });
  },
};

/**
 * Builds OUT and its source map. Each is written beside itself and renamed into place, so a
 * process starting meanwhile reads the old build or the new one, never half of one. Both carry
 * the time the build began: a source saved while it ran is newer, and makes the build stale.
 */
async function buildApi() {
  const { build } = await import('esbuild');
  const began = new Date();
  const { outputFiles } = await build({
    write: false,
    entryPoints: [ENTRY],
    outfile: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    banner: { js: BANNER },
    logLevel: 'warning',
    plugins: [thirdPartyExternal, ownDirname],
  });
  mkdirSync(dirname(OUT), { recursive: true });
  for (const file of outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    utimesSync(temporary, began, began);
    renameSync(temporary, file.path);
  }
}

if (process.argv.includes('--if-stale') && !isStale()) {
  console.error(`${relative(ROOT, OUT)} is up to date`);
} else {
  const t0 = Date.now();
  await buildApi();
  console.error(`built ${relative(ROOT, OUT)} in ${Date.now() - t0} ms`);
}
