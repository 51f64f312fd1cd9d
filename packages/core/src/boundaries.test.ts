import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The core is pure: it imports only its own files, and declares no runtime dependency.
const root = __dirname;
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
const IMPORT = /(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('core boundaries', () => {
  const sources = files(root).filter((f) => !f.endsWith('.test.ts'));

  it('reads the sources it checks', () => {
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.some((f) => f.endsWith('services/sync-service.ts'))).toBe(true);
  });

  it('imports nothing outside itself', () => {
    const outside: string[] = [];
    for (const file of sources) {
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec.startsWith('.')) outside.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('the import check catches a package import', () => {
    const sample = "import { x } from './a';\nimport type { Db } from 'some-library';\nconst y = require('other-library');";
    expect([...sample.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3])).toEqual(['./a', 'some-library', 'other-library']);
  });

  it('declares no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, '..', 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
