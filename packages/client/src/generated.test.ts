import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GENERATED_TYPES = join(__dirname, 'generated', 'openapi.ts');

/** The generator as `npm run generate` runs it (openapi-typescript is ESM, so it runs outside Jest). */
const check = (file?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate-types.ts', '--check', ...(file ? [file] : [])], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
  });

describe('the generated API types', () => {
  it('are those of the OpenAPI document the server serves (else: npm run generate -w @signalbox/client)', () => {
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('are found stale when a route or a schema changed since', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signalbox-types-'));
    try {
      const stale = join(dir, 'openapi.ts');
      await writeFile(stale, (await readFile(GENERATED_TYPES, 'utf8')).replace('wait_seconds?: number;', 'wait_seconds?: string;'));
      const r = check(stale);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/is stale from line \d+: run npm run generate -w @signalbox\/client/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
